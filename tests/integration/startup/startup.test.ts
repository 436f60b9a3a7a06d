/**
 * The product as a user starts it: the built server as a child process. Start-up output, health, a clean
 * SIGTERM, a wrong config key, and a DNS port that is already taken.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, startTracksink } from '../../helpers/tracksink-process.js';

const scratch = mkdtempSync(join(tmpdir(), 'tracksink-startup-'));
const noDefaults = join(scratch, 'no-default-lists.yaml');
writeFileSync(noDefaults, 'lists:\n  defaults: false\n');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs main.js to exit with the given environment; resolves with its code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, [join(repoRoot, 'dist', 'server', 'main.js')], {
      cwd: scratch,
      env: {
        PATH: process.env.PATH ?? '',
        TRACKSINK_DATA_DIR: join(scratch, 'data'),
        TRACKSINK_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('start-up and shutdown', () => {
  it('prints where it listens, serves health, and stops cleanly on SIGTERM', async () => {
    const server = await startTracksink({ env: { TRACKSINK_UPSTREAMS: 'udp://127.0.0.1:9' } });
    try {
      const output = server.output();
      expect(output).toMatch(/DNS:\s+udp 127\.0\.0\.1:\d+, tcp 127\.0\.0\.1:\d+/);
      expect(output).toContain('upstreams: ');
      expect(output).toMatch(/lists:\s+\d+ of \d+ lists in use, [\d,]+ names/);
      // The dashboard line names an address a person can open, never the wildcard 0.0.0.0.
      expect(output).toMatch(/dashboard:\s+http:\/\/(?!0\.0\.0\.0)[^\s/]+:\d+\//);
      // DNS is bound to 127.0.0.1 here: no router could use it, and the banner says where to look instead.
      expect(output).toMatch(/router:\s+DNS answers only on this machine \(dns\.bind 127\.0\.0\.1\)/);
      expect(output).not.toMatch(/DNS server to 127\./);
      const health = await fetch(`${server.baseUrl}/api/health`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string };
      expect(body.status).toBeTypeOf('string');
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.output()).toContain('tracksink stopped');
    } finally {
      server.cleanup();
    }
  });

  it('refuses a wrong environment value, naming the key and the variable', async () => {
    const { code, output } = await runToExit({ TRACKSINK_DNS_PORT: 'fifty-three' });
    expect(code).toBe(2);
    expect(output).toContain(
      'dns.port (TRACKSINK_DNS_PORT): "fifty-three" is not a whole number. Write a whole number from 0 to 65535, like TRACKSINK_DNS_PORT=53',
    );
  });

  it('explains a DNS port that is already taken and how to fix it', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((ready) => holder.bind(0, '127.0.0.1', () => ready()));
    const port = holder.address().port;
    try {
      const { code, output } = await runToExit({
        TRACKSINK_DNS_PORT: String(port),
        TRACKSINK_HTTP_PORT: '0',
        TRACKSINK_BIND: '127.0.0.1',
        TRACKSINK_UPSTREAMS: 'udp://127.0.0.1:9',
        TRACKSINK_CONFIG: noDefaults,
      });
      expect(code).not.toBe(0);
      expect(output).toContain(String(port));
      expect(output).toMatch(/in use|taken/i);
      expect(output).toMatch(/TRACKSINK_DNS_PORT/);
    } finally {
      holder.close();
    }
  });
});
