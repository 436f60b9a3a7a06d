/**
 * The count rollups of the query log, summed in memory before they are upserted: per minute at the
 * finest grain, then widened to the minute, hour and day rows of counts_* (device × company × category ×
 * app × kind × status) and totals_* (device × category × kind × status), each once for the device and
 * once for the all-devices row (ALL_DEVICES).
 *
 * Entries keep their fields as numbers beside the text key that groups them, so nothing is split back
 * out of a joined string.
 */
import type { DecodedEvent } from './query-queue.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Minute rollups and hourly name counters serve the short charts only. */
export const SHORT_ROLLUP_KEEP_MS = 48 * HOUR_MS;
/** device_id used in rollups for the total over every device. */
export const ALL_DEVICES = -1;

export interface CountKey {
  device: number;
  bucket: number;
  company: number;
  category: number;
  app: number;
  kind: number;
  status: number;
}

export interface CountSum extends CountKey {
  count: number;
}

export type TotalSum = Omit<CountSum, 'company' | 'app'>;

export type Level = 'minute' | 'hour' | 'day';
const LEVELS: ReadonlyArray<[Level, number]> = [
  ['minute', MINUTE_MS],
  ['hour', HOUR_MS],
  ['day', DAY_MS],
];

function countKey(k: CountKey): string {
  return `${k.device},${k.bucket},${k.company},${k.category},${k.app},${k.kind},${k.status}`;
}

function addTo<T extends { count: number }>(map: Map<string, T>, key: string, entry: T): void {
  const existing = map.get(key);
  if (existing) existing.count += entry.count;
  else map.set(key, { ...entry });
}

/** Per-minute sums of events, in memory until the writer upserts them. */
export class RollupSums {
  private readonly minutes = new Map<string, CountSum>();
  /**
   * The entry the last event went to: runs of events with the same key (one device's cache hits, a
   * burst of blocked tracker queries) add to it without building a key string or an object per event.
   */
  private last: CountSum | null = null;

  size(): number {
    return this.minutes.size;
  }

  add(ev: DecodedEvent, time: number): void {
    const bucket = time - (time % MINUTE_MS);
    const last = this.last;
    if (
      last !== null &&
      last.bucket === bucket &&
      last.device === ev.deviceId &&
      last.status === ev.status &&
      last.kind === ev.kind &&
      last.company === ev.companyId &&
      last.category === ev.categoryId &&
      last.app === ev.appId
    ) {
      last.count++;
      return;
    }
    const entry: CountSum = {
      device: ev.deviceId,
      bucket,
      company: ev.companyId,
      category: ev.categoryId,
      app: ev.appId,
      kind: ev.kind,
      status: ev.status,
      count: 1,
    };
    const key = countKey(entry);
    const existing = this.minutes.get(key);
    if (existing === undefined) this.minutes.set(key, entry);
    else existing.count++;
    this.last = existing ?? entry;
  }

  merge(other: RollupSums): void {
    for (const [key, entry] of other.minutes) addTo(this.minutes, key, entry);
  }

  /** The rows of counts_<level> and totals_<level> these sums add to, for every level. */
  levels(): Array<{ level: Level; counts: CountSum[]; totals: TotalSum[] }> {
    return LEVELS.map(([level, step]) => {
      const counts = new Map<string, CountSum>();
      for (const minute of this.minutes.values()) {
        const bucket = minute.bucket - (minute.bucket % step);
        for (const device of [minute.device, ALL_DEVICES]) {
          const entry = { ...minute, device, bucket };
          addTo(counts, countKey(entry), entry);
        }
      }
      const totals = new Map<string, TotalSum>();
      for (const c of counts.values()) {
        const entry: TotalSum = {
          device: c.device,
          bucket: c.bucket,
          category: c.category,
          kind: c.kind,
          status: c.status,
          count: c.count,
        };
        addTo(totals, `${c.device},${c.bucket},${c.category},${c.kind},${c.status}`, entry);
      }
      return { level, counts: [...counts.values()], totals: [...totals.values()] };
    });
  }
}
