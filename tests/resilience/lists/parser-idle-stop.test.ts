/**
 * The list parser's worker thread costs an isolate and its heap (~20 MB resident): it ends when idle and a
 * later parse starts another, with nothing lost, including a parse sent while an idle worker is ending.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ListParser } from '../../../server/lists/list-parser.js';
import { eventually } from '../../helpers/dns-harness.js';

const scratch = mkdtempSync(join(tmpdir(), 'tracksink-parser-idle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('list parser worker when idle', () => {
  it('ends the idle worker and starts another for the next parse', async () => {
    const file = join(scratch, 'hosts.txt');
    writeFileSync(file, Array.from({ length: 2000 }, (_, i) => `0.0.0.0 tracker-${i}.example`).join('\n'));
    const parser = new ListParser({ idleStopMs: 100 });
    try {
      const first = await parser.parseFile(file, 1, 'auto');
      expect(first.entries).toBe(2000);
      expect(parser.workerRunning).toBe(true);
      expect(await eventually(() => !parser.workerRunning, 5000)).toBe(true);
      // A new worker for the next parse; and two parses side by side while one is starting.
      const [second, third] = await Promise.all([
        parser.parseFile(file, 2, 'auto'),
        parser.parseFile(file, 3, 'hosts'),
      ]);
      expect([second.entries, third.entries]).toEqual([2000, 2000]);
      expect(parser.workerRunning).toBe(true);
    } finally {
      await parser.close();
    }
  });
});
