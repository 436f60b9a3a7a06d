/**
 * In production no `ca` option is passed: Node's trust store decides. A child process with
 * NODE_EXTRA_CA_CERTS pointing at the test CA must reach the local DoH/DoT servers; one without must not.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import type { LocalDohServer, LocalDotServer, TestCa } from '../../helpers/upstream/test-ca.js';
import { createTestCa, startDohServer, startDotServer } from '../../helpers/upstream/test-ca.js';

const run = promisify(execFile);
const probe = path.resolve(import.meta.dirname, '../../helpers/upstream/resolve-once.ts');

let ca: TestCa;
let stub: StubDnsServer;
let bootstrapStub: StubDnsServer;
let doh: LocalDohServer;
let dot: LocalDotServer;

beforeAll(async () => {
  ca = await createTestCa(['doh.test']);
  stub = await startStubDnsServer({ defaultA: '192.0.2.77' });
  bootstrapStub = await startStubDnsServer({ zone: { 'doh.test': { A: ['127.0.0.1'] } } });
  doh = await startDohServer(stub, ca);
  dot = await startDotServer(stub, ca);
});
afterAll(async () => {
  await doh?.close();
  await dot?.close();
  await stub?.close();
  await bootstrapStub?.close();
  await ca?.cleanup();
});

async function resolveInChild(url: string, extraCa: string | null) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (extraCa) env.NODE_EXTRA_CA_CERTS = extraCa;
  const args = ['--import', 'tsx', probe, url, 'child.example.test', `127.0.0.1:${bootstrapStub.port}`];
  try {
    const { stdout } = await run(process.execPath, args, { env, timeout: 20_000 });
    return { ok: true, out: JSON.parse(stdout.trim()) as unknown };
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout ?? '';
    return { ok: false, out: stdout.trim() ? (JSON.parse(stdout.trim()) as unknown) : String(error) };
  }
}

describe("Node's trust store", () => {
  it('DoH and DoT by host name work when NODE_EXTRA_CA_CERTS names the CA', async () => {
    for (const url of [doh.url('doh.test'), dot.url('doh.test')]) {
      expect(await resolveInChild(url, ca.caFile)).toEqual({ ok: true, out: ['192.0.2.77'] });
    }
  });

  it('the same upstream is refused without it (self-signed chain)', async () => {
    const result = await resolveInChild(doh.url('doh.test'), null);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result.out)).toMatch(/certificate/i);
  });
});
