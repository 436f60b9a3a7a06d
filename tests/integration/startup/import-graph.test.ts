/**
 * What a start loads before DNS answers: importing services.js (everything up to the DNS listener) must not
 * load Fastify or the certificate libraries (acme-client, x509); they load with dynamic imports once DNS
 * listens (bench/GAP.md, "Start-up"). Checked on the build with a module-resolution hook that writes down
 * every module a child process loads.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { moduleLog } from '../../helpers/module-log.js';
import { repoRoot } from '../../helpers/tracksink-process.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'tracksink-imports-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every module URL the child resolves while importing `entry` (relative to dist/server). */
async function modulesLoadedBy(entry: string): Promise<string[]> {
  const hook = moduleLog(scratch, entry.replace(/\W/g, '_'));
  const target = pathToFileURL(join(repoRoot, 'dist', 'server', entry)).href;
  await run(
    process.execPath,
    ['--import', hook.importArg, '--input-type=module', '-e', `await import(${JSON.stringify(target)});`],
    {
      timeout: 60_000,
    },
  );
  return hook.loaded();
}

describe('modules loaded before DNS answers', () => {
  it('services.js loads the DNS path without Fastify, the API routes or the certificate libraries', async () => {
    const loaded = await modulesLoadedBy('services.js');
    // The check itself works: the DNS server and the list manager are among them.
    expect(loaded.some((url) => url.endsWith('/dist/server/dns/dns-server.js'))).toBe(true);
    expect(loaded.some((url) => url.endsWith('/dist/server/lists/list-manager.js'))).toBe(true);
    const late = loaded.filter((url) =>
      /\/node_modules\/(fastify|@fastify\/[^/]+|acme-client|@peculiar\/x509)\/|\/dist\/server\/api\/app\.js$/.test(
        url,
      ),
    );
    expect(late).toEqual([]);
  });

  it('the encrypted-DNS listeners load acme-client only when a certificate is ordered', async () => {
    const loaded = await modulesLoadedBy('encrypted-dns.js');
    expect(loaded.some((url) => url.endsWith('/dist/server/certs/acme.js'))).toBe(true);
    expect(loaded.filter((url) => url.includes('/node_modules/acme-client/'))).toEqual([]);
  });

  it('the API module does load Fastify (so the check above can fail)', async () => {
    const loaded = await modulesLoadedBy('api/app.js');
    expect(loaded.some((url) => url.includes('/node_modules/fastify/'))).toBe(true);
  });
});
