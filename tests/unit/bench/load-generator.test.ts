import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGenerator } from '../../../bench/lib/load-generator.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'tracksink-load-generator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench:small load generator (udp-latency.c)', () => {
  it('sends each query at its rate, matches answers by id and reports their latency and the unanswered', async () => {
    const generator = loadGenerator(repoRoot, undefined, () => {});
    if (generator.kind !== 'c') return; // no C compiler here: bench:small uses the JavaScript one
    // A server that answers every query but the ones for "drop.example" (its id echoed back).
    const server = createSocket('udp4');
    server.on('message', (query, from) => {
      if (query.includes(Buffer.from('\u0004drop'))) return;
      server.send(query, from.port, from.address);
    });
    await new Promise<void>((done) => server.bind(0, '127.0.0.1', done));
    const file = join(dir, 'queries.txt');
    writeFileSync(file, 'a.example A\nb.example AAAA\nc.example A\ndrop.example A\n');
    try {
      const [command, ...args] = generator.command as [string, ...string[]];
      const port = String(server.address().port);
      const { stdout } = await promisify(execFile)(command, [...args, port, file, '200', '1']);
      const result = JSON.parse(stdout) as Record<string, unknown>;
      expect(result).toMatchObject({ sent: 200, answered: 150 });
      expect(result.p50Us).toBeGreaterThan(0);
      expect(result.p99Us as number).toBeGreaterThanOrEqual(result.p50Us as number);
      // Every fourth query got no answer: sent from near the start to near the end of the second.
      const [first, last] = result.unanswered as [number, number];
      expect(first).toBeGreaterThanOrEqual(0);
      expect(last).toBeGreaterThan(first);
      expect(last).toBeLessThanOrEqual(1);
    } finally {
      server.close();
    }
  });
});
