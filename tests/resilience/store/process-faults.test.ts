/**
 * Storage faults of the whole tracksink process (issue 8); storage-faults.test.ts covers the query-log
 * writer alone. Real process, real files, real mounts:
 * - kill -9 under load, then restart on the same data directory: both databases open cleanly, rules and
 *   devices are intact, and the log misses at most the last second before the kill;
 * - the data directory full (a small tmpfs): DNS keeps answering and blocking, the error is visible
 *   (error log line, /api/health degraded, /metrics), what was stored stays, and logging resumes by
 *   itself once there is space again;
 * - the data directory turned read-only under a running tracksink (ext4 on a loop device with
 *   errors=remount-ro, after an injected file-system error: what a failing SD card does; a tmpfs cannot
 *   be remounted read-only while files are open for writing): DNS keeps answering and blocking, the
 *   error is visible, tracksink still stops cleanly, and after fsck everything stored is there;
 * - a data directory already read-only at start-up: tracksink exits at once saying which file and why;
 * - a corrupt querylog.db at start-up: DNS and rules work, the log is moved aside and recreated.
 * Mounting needs root with CAP_SYS_ADMIN, the read-only case a loop device and e2fsprogs; without them
 * those tests are skipped, saying why.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dnsmasq, startDnsmasq } from '../../helpers/dnsmasq.js';
import { startTracksink, type TracksinkProcess } from '../../helpers/tracksink-process.js';
import { parseResponse } from '../../helpers/upstream/dns-message.js';
import { login, type HttpSession } from '../helpers/http-session.js';
import { ERROR, type Health, health, logLines, waitFor } from '../helpers/tracksink-output.js';
import { UdpLoadClient, loopbackSources } from '../helpers/udp-load.js';
import { canMountTmpfs, NO_MOUNT_REASON } from '../helpers/mount.js';

const PASSWORD = 'storage-faults-1';
const FORWARDED = '198.18.0.10';
// An adblock list: `||tracker-store.test^` blocks every numbered name below it.
const BLOCKLIST = [
  '||tracker-store.test^',
  ...Array.from({ length: 49 }, (_, i) => `||t${i}.tracker-store.test^`),
];

const work = mkdtempSync(join(tmpdir(), 'tracksink-store-faults-'));
const blocklist = join(work, 'blocklist.txt');
const mounts: string[] = [];
const loops: string[] = [];
const processes: TracksinkProcess[] = [];
const loads: UdpLoadClient[] = [];
let upstream: Dnsmasq | undefined;

beforeAll(async () => {
  writeFileSync(blocklist, BLOCKLIST.join('\n') + '\n');
  upstream = await startDnsmasq([`--address=/store.test/${FORWARDED}`, '--local-ttl=60']);
});

afterAll(async () => {
  for (const load of loads) load.close();
  for (const ts of processes) {
    await ts.stop('SIGKILL').catch(() => undefined);
    ts.cleanup();
  }
  await upstream?.stop();
  for (const mount of mounts.reverse()) {
    try {
      execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
    } catch {
      // already unmounted
    }
  }
  for (const loop of loops) {
    try {
      execFileSync('losetup', ['-d', loop], { stdio: 'ignore' });
    } catch {
      // already detached
    }
  }
  rmSync(work, { recursive: true, force: true });
});

const mountable = canMountTmpfs();
const noMount = NO_MOUNT_REASON;

/** An ext4 file system in an image file on a loop device, remounted read-only on any error. */
function mountExt4(): { dir: string; image: string; loop: string; name: string } {
  const image = join(work, `ext4-${loops.length}.img`);
  execFileSync('truncate', ['-s', '64M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
  loops.push(loop);
  const dir = mkdtempSync(join(work, 'ext4-'));
  execFileSync('mount', ['-o', 'errors=remount-ro', loop, dir]);
  mounts.push(dir);
  return { dir, image, loop, name: loop.replace('/dev/', '') };
}

/** Can this machine mount ext4 on a loop device and inject a file-system error into it? */
function canUseExt4Loop(): boolean {
  if (!mountable) return false;
  try {
    const { dir, loop, name } = mountExt4();
    const ok = existsSync(`/sys/fs/ext4/${name}/trigger_fs_error`);
    execFileSync('umount', [dir]);
    execFileSync('losetup', ['-d', loop]);
    return ok;
  } catch {
    return false;
  }
}
const ext4Loop = canUseExt4Loop();
const noExt4Loop = mountable
  ? 'no loop device, mkfs.ext4 or ext4 error injection (/sys/fs/ext4/*/trigger_fs_error) here'
  : noMount;

/** A test title's note on why it is skipped here, if it is. */
function skipped(runs: boolean, why: string): string {
  return runs ? '' : ` (skipped: ${why})`;
}

function mountTmpfs(sizeMb: number): string {
  const dir = mkdtempSync(join(work, 'tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

async function start(dataDir: string): Promise<TracksinkProcess> {
  const ts = await startTracksink({
    dataDir,
    // Outside the data directory, which may turn read-only.
    configFile: join(work, `config-${processes.length}.yaml`),
    configYaml: `lists:\n  defaults: false\n  extra:\n    - "${blocklist}"\n`,
    env: { TRACKSINK_UPSTREAMS: `udp://127.0.0.1:${upstream!.port}`, TRACKSINK_PASSWORD: PASSWORD },
  });
  processes.push(ts);
  await waitFor(
    'the blocklist to load',
    async () => (await health(ts.baseUrl)).lists.entries >= BLOCKLIST.length,
  );
  return ts;
}

/** Checks every answer: blocked names (list or rule) get 0.0.0.0, the rest the upstream's address. */
function expectedAnswer(name: string, packet: Buffer): string | null {
  const answer = parseResponse(packet);
  const want = name.endsWith('.tracker-store.test') || name.endsWith('.denied.test') ? '0.0.0.0' : FORWARDED;
  const got = answer.answers[0]?.text;
  return got === want ? null : `rcode ${answer.rcode}, ${got ?? 'no answer'}; expected ${want}`;
}

async function loadClient(ts: TracksinkProcess, sources: string[], extra = {}): Promise<UdpLoadClient> {
  const load = await UdpLoadClient.open({ port: ts.dnsPort, sources, check: expectedAnswer, ...extra });
  loads.push(load);
  return load;
}

/** Names of one phase of traffic: forwarded, blocked by the list, blocked by the user's rule. */
function phaseName(phase: string, i: number): string {
  if (i % 4 === 1) return `${phase}${i}.tracker-store.test`;
  if (i % 4 === 3) return `${phase}${i}.denied.test`;
  return `${phase}${i}.store.test`;
}

/** Queries of one phase in querylog.db, by name prefix (read-only: the server may be running). */
function loggedNames(dataDir: string, phase: string): Set<string> {
  const db = new Database(join(dataDir, 'querylog.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT n.name FROM queries q JOIN names n ON n.id = q.name_id WHERE n.name LIKE ?')
      .pluck()
      .all(`${phase}%`) as string[];
    return new Set(rows);
  } finally {
    db.close();
  }
}

function integrity(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

interface Snapshot {
  rules: unknown[];
  devices: unknown[];
}

async function snapshot(session: HttpSession): Promise<Snapshot> {
  const rules = (await session.get<{ items: Array<Record<string, unknown>> }>('/api/rules')).items;
  const devices = (await session.get<{ items: Array<Record<string, unknown>> }>('/api/devices')).items;
  // What the user owns, not counters or last-seen times that move with traffic.
  return {
    rules: rules.map(({ id, action, match, pattern, deviceId, comment }) => ({
      id,
      action,
      match,
      pattern,
      deviceId,
      comment,
    })),
    devices: devices
      .map(({ id, name, userName, mac, addresses, groupIds }) => ({
        id,
        name,
        userName,
        mac,
        addresses,
        groupIds,
      }))
      .sort((a, b) => Number(a.id) - Number(b.id)),
  };
}

/** The user's own data: a deny rule, a device-specific allow rule, a renamed device. */
async function createUserData(ts: TracksinkProcess): Promise<HttpSession> {
  const session = await login(ts.baseUrl, PASSWORD);
  const warm = await loadClient(ts, loopbackSources(40, 3));
  for (let i = 0; i < 30; i++) warm.send(phaseName('warm', i));
  await warm.settle();
  expect(warm.stats.answered).toBe(30);
  const devices = (await session.get<{ items: Array<{ id: number; addresses: string[] }> }>('/api/devices'))
    .items;
  const tablet = devices.find((d) => d.addresses.includes('127.0.0.41'));
  expect(tablet, 'device for 127.0.0.41').toBeDefined();
  await session.send('PATCH', `/api/devices/${tablet!.id}`, { name: 'Kitchen tablet' });
  await session.send('POST', '/api/rules', { action: 'deny', match: 'subdomain', pattern: 'denied.test' });
  await session.send('POST', '/api/rules', {
    action: 'allow',
    match: 'exact',
    pattern: 'fine.example',
    deviceId: tablet!.id,
    comment: 'kept across faults',
  });
  return session;
}

describe('storage faults of the whole process', () => {
  it('kill -9 under load, then restart: databases clean, rules and devices intact, ≤ 1 s of log lost', async () => {
    const dataDir = mkdtempSync(join(work, 'kill9-'));
    const first = await start(dataDir);
    const before = await snapshot(await createUserData(first));

    const answeredAt = new Map<string, number>();
    // Known devices only: a device first seen during the load would (rightly) not be in the snapshot.
    const load = await loadClient(first, loopbackSources(40, 3), {
      onAnswer: (name: string, at: number) => answeredAt.set(name, at),
    });
    const running = load.run(1500, 5000, (i) => ({ name: phaseName('kill', i), qtype: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const killedAt = Date.now();
    first.proc.kill('SIGKILL');
    await running;
    await load.settle();
    await first.stop();
    expect(answeredAt.size, 'load before the kill').toBeGreaterThan(2000);

    const second = await start(dataDir);
    expect((await health(second.baseUrl)).log.error).toBeNull();
    // Opened cleanly: not taken for corrupt and moved aside, and SQLite agrees.
    expect(readdirSync(dataDir).filter((f) => f.includes('corrupt'))).toEqual([]);
    expect(logLines(second.output(), ERROR)).toEqual([]);
    expect(integrity(join(dataDir, 'tracksink.db'))).toBe('ok');
    expect(integrity(join(dataDir, 'querylog.db'))).toBe('ok');

    const session = await login(second.baseUrl, PASSWORD);
    expect(await snapshot(session)).toEqual(before);
    // The rules still act: the deny rule and the list block, the device allow stays scoped.
    const check = await loadClient(second, ['127.0.0.41']);
    for (const name of ['x.denied.test', 'ads.tracker-store.test', 'after.store.test']) check.send(name);
    await check.settle();
    expect(check.stats.wrong).toEqual([]);
    expect(check.stats.answered).toBe(3);

    // Every query answered more than a second before the kill is in the log.
    const logged = loggedNames(dataDir, 'kill');
    const lost = [...answeredAt].filter(([name, at]) => at < killedAt - 1000 && !logged.has(name));
    expect(lost.slice(0, 5), `${lost.length} answered queries missing from the log`).toEqual([]);
    const newestLogged = Math.max(
      ...[...answeredAt].filter(([name]) => logged.has(name)).map(([, at]) => at),
    );
    expect(killedAt - newestLogged, 'log stops well before the kill').toBeLessThan(1000);
  }, 90_000);

  it('a corrupt querylog.db: DNS and rules work, the log is moved aside and recreated, the user is told', async () => {
    const dataDir = mkdtempSync(join(work, 'corrupt-'));
    const first = await start(dataDir);
    const before = await snapshot(await createUserData(first));
    expect(await first.stop()).toBe(0);
    for (const file of ['querylog.db-wal', 'querylog.db-shm']) rmSync(join(dataDir, file), { force: true });
    writeFileSync(join(dataDir, 'querylog.db'), Buffer.alloc(256 * 1024, 'not a database; '));

    const second = await start(dataDir);
    expect(await snapshot(await login(second.baseUrl, PASSWORD))).toEqual(before);
    await logPhase(second, dataDir, 'fresh', 40);
    expect(readdirSync(dataDir).filter((f) => f.startsWith('querylog.db.corrupt-'))).toHaveLength(1);
    expect(
      logLines(second.output(), 40, /querylog\.db was corrupt .* moved it to .* started a new log/),
    ).toHaveLength(1);
    expect((await health(second.baseUrl)).status).toBe('ok');
  }, 60_000);

  it.skipIf(!mountable)(
    `data directory full: DNS answers and blocks, the error is visible, nothing stored is lost, writing resumes${skipped(mountable, noMount)}`,
    async () => {
      const dataDir = mountTmpfs(24);
      const ts = await start(dataDir);
      await createUserData(ts);
      await logPhase(ts, dataDir, 'pre', 200);
      const filler = fillUp(dataDir);

      const seen = await trafficDuringFault(ts);
      expect(seen.log.error).toMatch(/SQLITE_FULL|full/i);
      expectFaultReported(ts);

      // Space comes back: logging resumes by itself (the writer retries about once a second).
      unlinkSync(filler);
      const after = await loadClient(ts, ['127.0.0.40', '127.0.0.99']);
      const recovered = await waitFor(
        'logging to resume',
        async () => {
          after.send(phaseName('after', after.stats.sent));
          const h = await health(ts.baseUrl);
          return h.status === 'ok' && loggedNames(dataDir, 'after').size > 0 ? h : null;
        },
        30_000,
      );
      expect(recovered.log.error).toBeNull();
      await after.settle();
      expect(after.stats.wrong).toEqual([]);
      // Nothing stored before the fault was lost, and the user's data is all there.
      expect(loggedNames(dataDir, 'pre').size).toBe(200);
      const session = await login(ts.baseUrl, PASSWORD);
      await expectUserData(session);
      // The device first seen during the fault is recorded now that it can be.
      await waitFor('the new device to be recorded', async () =>
        (await session.get<{ items: Array<{ addresses: string[] }> }>('/api/devices')).items.some((d) =>
          d.addresses.includes('127.0.0.99'),
        ),
      );
      expect(await ts.stop()).toBe(0);
      expect(integrity(join(dataDir, 'querylog.db'))).toBe('ok');
      expect(integrity(join(dataDir, 'tracksink.db'))).toBe('ok');
    },
    120_000,
  );

  it.skipIf(!ext4Loop)(
    `data directory turned read-only while running: DNS answers and blocks, the error is visible, it stops cleanly, nothing is lost${skipped(ext4Loop, noExt4Loop)}`,
    async () => {
      const fs = mountExt4();
      const ts = await start(fs.dir);
      await createUserData(ts);
      await logPhase(ts, fs.dir, 'pre', 200);
      // On disk by now (the log is fsynced only at checkpoints, by design: a disk failure may take the
      // last seconds of it, as a power cut would). What is on disk must survive the failure.
      execFileSync('sync', ['-f', fs.dir]);
      // A rule saved just before the failure: the user's configuration must be durable at once.
      const last = await login(ts.baseUrl, PASSWORD);
      await last.send('POST', '/api/rules', { action: 'deny', match: 'exact', pattern: 'saved.denied.test' });
      const before = await snapshot(last);
      // What a failing disk does: ext4 hits an error and remounts itself read-only under open files.
      writeFileSync(`/sys/fs/ext4/${fs.name}/trigger_fs_error`, 'tracksink test: simulated disk error');

      const seen = await trafficDuringFault(ts);
      expect(seen.log.error).toMatch(
        /query log stopped .*(readonly|read-only|SQLITE_READONLY|SQLITE_IOERR)/i,
      );
      expectFaultReported(ts);
      // The dashboard still reads with the session it had: rules, devices, the log up to the fault.
      expect((await snapshot(last)).rules).toEqual(before.rules);
      expect((await last.request('GET', '/api/queries?limit=5')).status).toBe(200);
      // A clean stop, not a hang or a crash, on a read-only disk.
      expect(await ts.stop()).toBe(0);

      // The operator repairs the disk (fsck) and starts again: everything stored before is there.
      execFileSync('umount', [fs.dir]);
      try {
        execFileSync('e2fsck', ['-fy', fs.loop], { stdio: 'ignore' });
      } catch (error) {
        // Exit status 1 means "errors corrected", which is what an injected error leaves.
        if ((error as { status?: number }).status !== 1) throw error;
      }
      execFileSync('mount', ['-o', 'errors=remount-ro', fs.loop, fs.dir]);
      const again = await start(fs.dir);
      expect((await health(again.baseUrl)).log.error).toBeNull();
      expect(loggedNames(fs.dir, 'pre').size).toBe(200);
      expect(await snapshot(await login(again.baseUrl, PASSWORD))).toEqual(before);
      await logPhase(again, fs.dir, 'after', 50);
      expect(await again.stop()).toBe(0);
      expect(integrity(join(fs.dir, 'querylog.db'))).toBe('ok');
      expect(integrity(join(fs.dir, 'tracksink.db'))).toBe('ok');
    },
    120_000,
  );

  it.skipIf(!mountable)(
    `a data directory already read-only at start-up: exits at once, naming the file${skipped(mountable, noMount)}`,
    async () => {
      const dataDir = mountTmpfs(16);
      const ts = await start(dataDir);
      expect(await ts.stop()).toBe(0);
      execFileSync('mount', ['-o', 'remount,ro', dataDir]);
      const started = Date.now();
      const failure = await start(dataDir).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/exit 1/);
      expect(failure).toContain(`could not open ${join(dataDir, 'tracksink.db')}`);
      expect(failure).toMatch(/writable/);
      expect(Date.now() - started).toBeLessThan(15_000);
    },
  );
});

/** Sends `count` queries of a phase (each answered right: blocked or forwarded) and waits until all are in querylog.db. */
async function logPhase(ts: TracksinkProcess, dataDir: string, phase: string, count: number): Promise<void> {
  const load = await loadClient(ts, loopbackSources(40, 2));
  for (let i = 0; i < count; i++) load.send(phaseName(phase, i));
  await load.settle();
  expect(load.stats.answered).toBe(count);
  expect(load.stats.wrong).toEqual([]);
  await waitFor(`the ${phase} queries to be written`, () => loggedNames(dataDir, phase).size === count);
}

/**
 * 10 s of traffic while storage fails, from known devices and from one never seen (whose device record
 * cannot be written either): every query answered right. Returns /api/health once it shows the fault.
 */
async function trafficDuringFault(ts: TracksinkProcess): Promise<Health> {
  const during = await loadClient(ts, [...loopbackSources(40, 2), '127.0.0.99']);
  const traffic = during.run(400, 10_000, (i) => ({ name: phaseName('during', i), qtype: 1 }));
  const [seen] = await Promise.all([
    waitFor(
      'the storage error to show in /api/health',
      async () => {
        const h = await health(ts.baseUrl);
        return h.status === 'degraded' && h.log.error !== null ? h : null;
      },
      30_000,
    ),
    traffic,
  ]);
  await during.settle();
  expect(during.stats.unanswered.slice(0, 3), `${during.stats.unanswered.length} unanswered`).toEqual([]);
  expect(during.stats.wrong.slice(0, 3), `${during.stats.wrong.length} wrong`).toEqual([]);
  expect(during.stats.answered).toBe(4000);
  const metrics = await (await fetch(`${ts.baseUrl}/metrics`)).text();
  expect(metrics).toMatch(/^tracksink_log_writing 0$/m);
  return seen;
}

/** The fault is in the log once, as an error; not one line per query (4,000 were answered). */
function expectFaultReported(ts: TracksinkProcess): void {
  expect(logLines(ts.output(), ERROR, /query log stopped/)).not.toEqual([]);
  expect(logLines(ts.output(), 0, /could not record a new device/).length).toBeLessThanOrEqual(5);
  expect(logLines(ts.output(), ERROR).length).toBeLessThanOrEqual(10);
}

async function expectUserData(session: HttpSession): Promise<void> {
  const state = await snapshot(session);
  expect(state.rules).toHaveLength(2);
  expect(state.devices).toContainEqual(expect.objectContaining({ name: 'Kitchen tablet' }));
}

/** Fills the file system under `dir` with a filler file until it is full; returns the file's path. */
function fillUp(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(256 * 1024, 7);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // Fill the last partial block too.
  const fd2 = openSync(path, 'a');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(512, 7));
  } catch {
    // ENOSPC: full to the last byte
  } finally {
    closeSync(fd2);
  }
  return path;
}
