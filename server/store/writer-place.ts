/**
 * Where the query log's writer runs (`log.writer`): its own thread, or the main isolate in slices
 * (log-writer-inline.ts). "auto" picks by the measured figures in bench/GAP.md ("Issue 16, inline pass").
 */
import type { Config } from '../config/schema.js';

export type WriterPlace = 'thread' | 'main';

export function writerPlace(setting: Config['log']['writer']): WriterPlace {
  if (setting !== 'auto') return setting;
  // Measured (bench/GAP.md, "Issue 16, inline pass"): in the main isolate the writer's longest steps (a
  // WAL checkpoint's fsync, the once-a-second rollup flush) land on the DNS thread and its p99; the
  // thread stays the default everywhere until they are shorter. With several DNS threads or PostgreSQL
  // (COPY encoding on top) the thread is the choice in any case.
  return 'thread';
}
