/**
 * The rollup sums of one shipping transaction, counted in the shipper's memory (log-shipper.ts) instead
 * of by PostgreSQL: each chunk of buffered rows keeps the few fields the rollups read in typed arrays;
 * when a transaction is sent, `sumChunks` counts its chunks' rows once per key (per device and for all
 * devices: per minute totals, per hour company counts, per hour names) and writes each set of sums as
 * COPY text for a staging table. The shipping statement (pg-rollups.ts) then widens them to hours and
 * days and upserts each key once, in the same transaction as the raw rows: rows and sums commit
 * together, and a retried transaction sums the same chunks again (never twice into PostgreSQL).
 *
 * Keys are the COPY line's own leading fields (tab-separated), so a sum needs no parsing to be sent.
 */
import { copyTextField } from './pg-copy.js';
import { ALL_DEVICES, HOUR_MS, MINUTE_MS } from '../rollup-sums.js';

/** Fields per row in ChunkFields.ints, in this order. */
const DEVICE = 0;
const STATUS = 1;
const COMPANY = 2;
const CATEGORY = 3;
const APP = 4;
const KIND = 5;
const INTS = 6;

/** What the rollups read of one chunk's rows, without an object per row. */
export class ChunkFields {
  rows = 0;
  private times: Float64Array;
  private ints: Int32Array;
  private names: string[] = [];

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.ints = new Int32Array(capacity * INTS);
  }

  add(
    time: number,
    device: number,
    status: number,
    company: number,
    category: number,
    app: number,
    kind: number,
    name: string,
  ): void {
    if (this.rows === this.times.length) this.grow();
    const at = this.rows * INTS;
    this.times[this.rows] = time;
    this.ints[at + DEVICE] = device;
    this.ints[at + STATUS] = status;
    this.ints[at + COMPANY] = company;
    this.ints[at + CATEGORY] = category;
    this.ints[at + APP] = app;
    this.ints[at + KIND] = kind;
    this.names.push(name);
    this.rows++;
  }

  private grow(): void {
    const times = new Float64Array(Math.max(16, this.times.length * 2));
    times.set(this.times);
    const ints = new Int32Array(times.length * INTS);
    ints.set(this.ints);
    this.times = times;
    this.ints = ints;
  }

  /** Adds this chunk's rows to `sums`. */
  sumInto(sums: BatchSums): void {
    const { times, ints, names } = this;
    for (let row = 0; row < this.rows; row++) {
      const at = row * INTS;
      const time = times[row] as number;
      sums.add(
        time,
        ints[at + DEVICE] as number,
        ints[at + STATUS] as number,
        ints[at + COMPANY] as number,
        ints[at + CATEGORY] as number,
        ints[at + APP] as number,
        ints[at + KIND] as number,
        names[row] as string,
      );
    }
  }
}

interface NameSum {
  count: number;
  company: number;
  kind: number;
}

/**
 * Sums of a transaction's rows, each key once for the row's device and once for ALL_DEVICES:
 * totals per minute (device, minute, category, kind, status), counts per hour (device, hour, company,
 * category, app, kind, status) and names per hour (device, hour, status, name; hidden names '' are not
 * counted) with the largest company id and kind seen, as the SQLite rollups keep them.
 */
export class BatchSums {
  readonly totals = new Map<string, number>();
  readonly counts = new Map<string, number>();
  readonly names = new Map<string, NameSum>();
  /** Devices (≥ 0) with rows. */
  readonly devices = new Set<number>();

  add(
    time: number,
    device: number,
    status: number,
    company: number,
    category: number,
    app: number,
    kind: number,
    name: string,
  ): void {
    const minute = time - (time % MINUTE_MS);
    const hour = time - (time % HOUR_MS);
    const escaped = name === '' ? '' : copyTextField(name);
    this.devices.add(device);
    this.addFor(device, minute, hour, status, company, category, app, kind, escaped);
    this.addFor(ALL_DEVICES, minute, hour, status, company, category, app, kind, escaped);
  }

  private addFor(
    dev: number,
    minute: number,
    hour: number,
    status: number,
    company: number,
    category: number,
    app: number,
    kind: number,
    escapedName: string,
  ): void {
    const total = `${dev}\t${minute}\t${category}\t${kind}\t${status}`;
    this.totals.set(total, (this.totals.get(total) ?? 0) + 1);
    const count = `${dev}\t${hour}\t${company}\t${category}\t${app}\t${kind}\t${status}`;
    this.counts.set(count, (this.counts.get(count) ?? 0) + 1);
    if (escapedName === '') return;
    const key = `${dev}\t${hour}\t${status}\t${escapedName}`;
    const sum = this.names.get(key);
    if (sum === undefined) {
      this.names.set(key, { count: 1, company, kind });
      return;
    }
    sum.count++;
    if (company > sum.company) sum.company = company;
    if (kind > sum.kind) sum.kind = kind;
  }

  /** COPY text for ship_totals (device_id, bucket, category_id, kind, status, count). */
  totalsText(): Buffer {
    return lines(this.totals, (key, count) => `${key}\t${count}\n`);
  }

  /** COPY text for ship_counts (device_id, bucket, company_id, category_id, app_id, kind, status, count). */
  countsText(): Buffer {
    return lines(this.counts, (key, count) => `${key}\t${count}\n`);
  }

  /** COPY text for ship_names (device_id, bucket, status, name, count, company_id, kind). */
  namesText(): Buffer {
    return lines(this.names, (key, sum) => `${key}\t${sum.count}\t${sum.company}\t${sum.kind}\n`);
  }
}

function lines<T>(map: Map<string, T>, line: (key: string, value: T) => string): Buffer {
  const parts: string[] = [];
  for (const [key, value] of map) parts.push(line(key, value));
  return Buffer.from(parts.join(''), 'utf8');
}

/** The sums of every row of `chunks` (one transaction's). */
export function sumChunks(chunks: readonly ChunkFields[]): BatchSums {
  const sums = new BatchSums();
  for (const chunk of chunks) chunk.sumInto(sums);
  return sums;
}
