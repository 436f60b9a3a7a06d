/**
 * thread-priority.ts: a background thread lowers its own CPU priority (Linux nice value, per thread) and
 * nothing else: the process's other threads keep theirs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ListParser } from '../../../server/lists/list-parser.js';
import { kernelThreadId, lowerThisThreadPriority, writerNice } from '../../../server/thread-priority.js';
import { eventually } from '../../helpers/dns-harness.js';

/** The nice value of one thread of this process, from /proc (field 19 of stat). */
function niceOf(threadId: number): number {
  const stat = readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const onLinux = process.platform === 'linux';

/** How many of this process's threads run at nice 19. */
function nice19Threads(): number {
  return readdirSync('/proc/self/task').filter((id) => {
    try {
      return niceOf(Number(id)) === 19;
    } catch {
      return false; // the thread ended meanwhile
    }
  }).length;
}

describe('thread priority', () => {
  it.runIf(onLinux)('lowers only the calling thread, a worker here, not the main thread', async () => {
    const moduleUrl = new URL('../../../server/thread-priority.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    // The worker registers tsx (as worker-entry.ts does), lowers itself and reports its kernel thread id.
    const source = `
      import { parentPort } from 'node:worker_threads';
      import { register } from ${JSON.stringify(tsx)};
      register();
      const { lowerThisThreadPriority } = await import(${JSON.stringify(moduleUrl)});
      parentPort.postMessage(lowerThisThreadPriority(17));
      setTimeout(() => {}, 2000);
    `;
    const before = niceOf(kernelThreadId());
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
    try {
      const outcome = await new Promise<{ lowered: boolean; threadId: number; nice: number }>(
        (resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        },
      );
      expect(outcome).toMatchObject({ lowered: true, nice: 17 });
      expect(outcome.threadId).not.toBe(kernelThreadId());
      expect(niceOf(outcome.threadId)).toBe(17);
      expect(niceOf(kernelThreadId())).toBe(before);
      expect(getPriority(process.pid)).toBe(before);
    } finally {
      await worker.terminate();
    }
  });

  it('does nothing and says why elsewhere, or when nothing is to lower', () => {
    expect(lowerThisThreadPriority(19, 'darwin')).toEqual({
      lowered: false,
      reason: expect.stringContaining('Linux-only') as string,
    });
    expect(lowerThisThreadPriority(0)).toEqual({ lowered: false, reason: null });
  });

  it('lowers the writer on one core only (with more, a starved writer would drop log events)', () => {
    expect(writerNice(1)).toBe(19);
    expect(writerNice(2)).toBe(0);
    expect(writerNice(4)).toBe(0);
  });

  it.runIf(onLinux)("reads this thread's kernel id (the main thread's is the process id)", () => {
    expect(kernelThreadId()).toBe(process.pid);
  });

  it.runIf(onLinux)(
    "list parser: the start-up parse keeps its priority, a later worker's (a refresh's) steps aside",
    async () => {
      const scratch = mkdtempSync(join(tmpdir(), 'tracksink-priority-'));
      const file = join(scratch, 'hosts.txt');
      writeFileSync(file, Array.from({ length: 500 }, (_, i) => `0.0.0.0 t-${i}.example`).join('\n'));
      const parser = new ListParser({ idleStopMs: 100 });
      try {
        const before = nice19Threads();
        expect((await parser.parseFile(file, 1, 'auto')).entries).toBe(500);
        expect(parser.workerRunning).toBe(true);
        expect(nice19Threads()).toBe(before);
        expect(await eventually(() => !parser.workerRunning, 5000)).toBe(true);
        expect((await parser.parseFile(file, 2, 'auto')).entries).toBe(500);
        expect(parser.workerRunning).toBe(true);
        expect(nice19Threads()).toBe(before + 1);
      } finally {
        await parser.close();
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  );
});
