import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clockTicksPerSecond,
  cpuSeconds,
  parseProcStat,
  parseVmRssKb,
  rssKb,
  threadCpuSeconds,
} from '../../../bench/lib/proc-stats.js';
import { Worker } from 'node:worker_threads';

// Real /proc/PID/stat and /proc/PID/status texts captured on Linux 6.x.
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('parseProcStat', () => {
  it('reads utime and stime of a busy node process', () => {
    expect(parseProcStat(fixture('proc-stat-node.txt'))).toEqual({
      pid: 11182,
      comm: 'node',
      state: 'R',
      utimeTicks: 413,
      stimeTicks: 1,
    });
  });

  it('reads dnsmasq, whose time is all utime', () => {
    expect(parseProcStat(fixture('proc-stat-dnsmasq.txt'))).toMatchObject({
      pid: 9652,
      comm: 'dnsmasq',
      utimeTicks: 10,
      stimeTicks: 0,
    });
  });

  it('counts fields from the last ")" so a command name with spaces and ")" does not shift them', () => {
    const stat = parseProcStat(fixture('proc-stat-odd-comm.txt'));
    expect(stat).toEqual({ pid: 11179, comm: 'sl ee) p', state: 'S', utimeTicks: 0, stimeTicks: 0 });
  });

  it('says what is wrong with text that is not a stat line', () => {
    expect(() => parseProcStat('VmRSS: 12 kB')).toThrow(/no "\(comm\)" field/);
    expect(() => parseProcStat('12 (x) S 1 2')).toThrow(/utime\/stime are not numbers/);
  });
});

describe('parseVmRssKb', () => {
  it('reads the resident set from /proc/PID/status', () => {
    expect(parseVmRssKb(fixture('proc-status-node.txt'))).toBe(46540);
  });

  it('explains a status without VmRSS (a zombie has none)', () => {
    expect(() => parseVmRssKb('Name:\tx\nState:\tZ (zombie)\n')).toThrow(/no VmRSS line/);
  });
});

describe('live /proc readings', () => {
  it('sees this process use CPU and memory', () => {
    const before = cpuSeconds(process.pid);
    let spin = 0;
    const until = Date.now() + 150;
    while (Date.now() < until) spin++;
    expect(spin).toBeGreaterThan(0);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(before);
    expect(rssKb(process.pid)).toBeGreaterThan(10_000);
    expect(clockTicksPerSecond()).toBeGreaterThanOrEqual(100);
  });
});

describe('threadCpuSeconds', () => {
  it('tells the main thread from a busy worker thread', async () => {
    const before = threadCpuSeconds(process.pid);
    // A fixed amount of work on another thread, which then stays alive (blocked) until this one has read the
    // counters: a thread that has ended is no longer listed. Work, not wall time, so a busy machine that gives
    // the worker little CPU only makes the test slower, never wrong.
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       let x = 0; for (let i = 0; i < 30_000_000; i++) x += Math.sqrt(x + i);
       parentPort.postMessage(x);
       Atomics.wait(workerData, 0, 0);`,
      { eval: true, workerData: gate },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const during = threadCpuSeconds(process.pid);
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await new Promise((resolve) => worker.once('exit', resolve));
    const others = during.others - before.others;
    const main = during.main - before.main;
    expect(others).toBeGreaterThan(0.05);
    expect(others).toBeGreaterThan(main);
  });
});
