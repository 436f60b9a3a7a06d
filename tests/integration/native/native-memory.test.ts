/**
 * Giving freed native memory back (server/native-memory.ts over the addon's trimMemory, glibc's malloc_trim(0) on
 * libuv's pool): a real call returns what it did; freed memory in the middle of glibc's heap leaves the resident
 * set (a child process frees 100,000 small blocks around kept ones, which free() alone never returns); the list
 * parser's thread ending triggers one; and without the addon, or with an older build lacking the function, every
 * call is a no-op, never an error.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ListParser } from '../../../server/lists/list-parser.js';
import { loadNativeAddon } from '../../../server/native-addon.js';
import {
  createMemoryReleaser,
  memoryTrims,
  releaseFreedMemory,
  startMemoryTrimmer,
} from '../../../server/native-memory.js';
import { eventually } from '../../helpers/dns-harness.js';

const addon = loadNativeAddon();
const withTrim = typeof addon.binding?.trimMemory === 'function';
const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
const glibc = process.platform === 'linux' && Boolean(report.header?.glibcVersionRuntime);

describe('native memory release', () => {
  it('without the addon, or with one lacking trimMemory, releasing is a no-op that resolves null', async () => {
    for (const binding of [null, { stats: () => [0, 0, 0] }]) {
      const releaser = createMemoryReleaser(binding);
      expect(releaser.available).toBe(false);
      await expect(releaser.release()).resolves.toBeNull();
      const trimmer = startMemoryTrimmer({ intervalMs: 1, releaser });
      await new Promise((r) => setTimeout(r, 20));
      expect(trimmer.stats()).toEqual({ trims: 0, released: 0, micros: 0 });
      trimmer.stop();
    }
  });

  it('a trim that fails resolves null instead of throwing', async () => {
    const releaser = createMemoryReleaser({ trimMemory: () => Promise.reject(new Error('queue full')) });
    expect(releaser.available).toBe(true);
    await expect(releaser.release()).resolves.toBeNull();
  });

  it.runIf(withTrim && glibc)(
    'a real trim returns whether memory went back and how long it took',
    async () => {
      const before = memoryTrims.count;
      const result = await releaseFreedMemory();
      expect(result).not.toBeNull();
      expect(typeof result!.released).toBe('boolean');
      expect(result!.micros).toBeGreaterThan(0);
      expect(memoryTrims.count).toBe(before + 1);
      // Two calls at once share one trim.
      const [a, b] = await Promise.all([releaseFreedMemory(), releaseFreedMemory()]);
      expect(a).toBe(b);
    },
  );

  it.runIf(withTrim && glibc)('freed blocks between live ones leave the resident set after a trim', () => {
    const script = `
      const b = require(${JSON.stringify(addon.why)});
      const rss = () => process.memoryUsage().rss;
      const keep = [];
      let all = [];
      for (let i = 0; i < 100000; i++) {
        const x = Buffer.allocUnsafeSlow(1000); x[0] = 1; all.push(x);
        if (i % 50 === 0) keep.push(x);
      }
      all = null; global.gc(); global.gc();
      const before = rss();
      b.trimMemory().then(([released]) => {
        process.stdout.write(JSON.stringify({ before, after: rss(), released, kept: keep.length }));
      });`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', '-e', script], {
        encoding: 'utf8',
        env: { ...process.env, MALLOC_ARENA_MAX: '2' },
      }),
    ) as { before: number; after: number; released: number; kept: number };
    expect(out.kept).toBe(2000);
    expect(out.released).toBe(1);
    // ~98 MB were freed in 1 kB blocks around 2,000 kept ones: free() alone returns almost none of it.
    expect(out.before - out.after).toBeGreaterThan(50 * 1024 * 1024);
  });

  it.runIf(withTrim && glibc)('the timer trims on its own (count-bound, not time-bound)', async () => {
    const trimmer = startMemoryTrimmer({ intervalMs: 5 });
    try {
      expect(await eventually(() => trimmer.stats().trims >= 2, 10_000)).toBe(true);
      expect(trimmer.stats().micros).toBeGreaterThan(0);
    } finally {
      trimmer.stop();
    }
  });

  it.runIf(withTrim && glibc)("the list parser's thread ending gives its memory back", async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'tracksink-trim-'));
    const file = join(scratch, 'hosts.txt');
    writeFileSync(file, Array.from({ length: 2000 }, (_, i) => `0.0.0.0 t-${i}.example`).join('\n'));
    const parser = new ListParser({ idleStopMs: 50 });
    try {
      expect((await parser.parseFile(file, 1, 'auto')).entries).toBe(2000);
      const before = memoryTrims.count;
      expect(await eventually(() => !parser.workerRunning && memoryTrims.count > before, 10_000)).toBe(true);
    } finally {
      await parser.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
