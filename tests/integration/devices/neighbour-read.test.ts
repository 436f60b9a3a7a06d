/**
 * The kernel neighbour read forks `ip neigh` only when IPv6 neighbours are wanted: a child process is
 * forked from the thread that answers DNS, while IPv4 neighbours come from /proc/net/arp. A stand-in
 * `ip` first on PATH records each run.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelNeighbours } from '../../../server/devices/neighbour-table.js';

const hasProcArp = existsSync('/proc/net/arp');

describe.skipIf(!hasProcArp)('kernel neighbour read', () => {
  let dir = '';
  let oldPath = '';
  const runs = (): number =>
    existsSync(join(dir, 'runs')) ? readFileSync(join(dir, 'runs'), 'utf8').split('\n').length - 1 : 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tracksink-ip-'));
    const ip = join(dir, 'ip');
    writeFileSync(
      ip,
      `#!/bin/sh\necho run >> ${join(dir, 'runs')}\necho 'fd00::42 dev eth0 lladdr 02:00:00:00:00:42 REACHABLE'\n`,
    );
    chmodSync(ip, 0o755);
    oldPath = process.env.PATH ?? '';
    process.env.PATH = `${dir}:${oldPath}`;
  });
  afterAll(() => {
    process.env.PATH = oldPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads IPv4 neighbours from /proc/net/arp alone when IPv6 is not wanted', async () => {
    const table = await kernelNeighbours.read({ ipv6: false });
    expect(runs()).toBe(0);
    expect(table.has('fd00::42')).toBe(false);
  });

  it('runs ip neigh for IPv6 neighbours when asked, and by default', async () => {
    expect((await kernelNeighbours.read({ ipv6: true })).get('fd00::42')).toBe('02:00:00:00:00:42');
    expect(runs()).toBe(1);
    expect((await kernelNeighbours.read()).get('fd00::42')).toBe('02:00:00:00:00:42');
    expect(runs()).toBe(2);
  });
});
