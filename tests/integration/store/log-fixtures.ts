/** Shared helpers for the query log tests: temp dirs and deterministic event streams. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryStatus, type QueryEvent, emptyQueryEvent } from '../../../server/events/query-event.js';
import type { DecodedEvent } from '../../../server/store/query-queue.js';

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `tracksink-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

const STATUSES = [
  QueryStatus.blocked,
  QueryStatus.forwarded,
  QueryStatus.cached,
  QueryStatus.forwarded,
  QueryStatus.error,
];

/** A varied, deterministic event: devices 1..7, 40 names, some attributed to companies 1..5. */
export function makeEvent(i: number, timeMs: number, out: QueryEvent = emptyQueryEvent()): QueryEvent {
  const nameIndex = (i * 7919) % 40;
  out.timeMs = timeMs;
  out.deviceId = 1 + (i % 7);
  out.clientAddress = `192.168.7.${1 + (i % 7)}`;
  out.name = `host${nameIndex}.example${nameIndex % 4}.com`;
  out.qtype = i % 5 === 0 ? 28 : 1;
  out.status = STATUSES[i % STATUSES.length] as QueryStatus;
  out.companyId = nameIndex % 3 === 0 ? 1 + (nameIndex % 5) : 0;
  out.categoryId = out.companyId === 0 ? 0 : 1 + (nameIndex % 2);
  out.appId = out.companyId === 0 ? 0 : 100 + (nameIndex % 4);
  // Attributed names alternate between tracker endpoints (1) and services (2), by name.
  out.kind = out.companyId === 0 ? 0 : 1 + (nameIndex % 2);
  out.rcode = 0;
  out.durationUs = 100 + i;
  out.upstreamId = 1;
  out.cnameTarget = '';
  return out;
}

export function decoded(ev: QueryEvent): DecodedEvent {
  return { ...ev };
}
