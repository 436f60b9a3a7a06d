/**
 * `COPY … FROM STDIN` through node-postgres without another package: a Submittable (the interface pg's
 * own Query, pg-cursor and pg-copy-streams implement) that sends the whole text in CopyData messages
 * when the server asks for it. COPY is PostgreSQL's fast path for bulk rows: measured here (bench/
 * pg-ingest.ts) about 3 times the rows per second of one INSERT … SELECT FROM unnest() of the same rows,
 * because the server neither parses 19 array literals nor plans a statement per batch.
 *
 * Text format (the server's default for COPY): one row a line, columns separated by tabs; copyTextField
 * escapes what would break that.
 */
import type { Connection, Submittable } from 'pg';
import type { PgClient } from './pg-connect.js';

/** What node-postgres hands a Submittable (only the calls used here). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** CopyData messages stay well under the protocol's limits and the socket's write buffers. */
const PIECE_BYTES = 256 * 1024;

class CopyIn implements Submittable {
  /** Set by client.query(submittable, callback). */
  callback?: (error: Error | null) => void;
  private failure: Error | null = null;
  private done = false;

  constructor(
    private readonly sql: string,
    private readonly data: Buffer,
  ) {}

  submit(connection: Connection): void {
    (connection as unknown as CopyConnection).query(this.sql);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (let at = 0; at < this.data.length; at += PIECE_BYTES) {
      connection.sendCopyFromChunk(this.data.subarray(at, at + PIECE_BYTES));
    }
    connection.endCopyFrom();
  }

  /** A server error (then ReadyForQuery follows) or a broken connection (nothing follows). */
  handleError(error: Error): void {
    this.failure = error;
    this.finish();
  }

  handleReadyForQuery(): void {
    this.finish();
  }

  // Messages a COPY FROM does not get, or that need no answer.
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.callback?.(this.failure);
  }
}

/**
 * Runs one `COPY table (…) FROM STDIN` with `data` (COPY text rows) as its input on `client` (in the
 * caller's transaction, if one is open). After a failure the caller releases the client as broken: the
 * connection may be mid-protocol.
 */
export function copyIn(client: PgClient, sql: string, data: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const submittable = new CopyIn(sql, data);
    submittable.callback = (error) => (error === null ? resolve() : reject(error));
    client.query(submittable);
  });
}

const NUL = String.fromCharCode(0);
const COPY_SPECIAL = new RegExp(`[\\\\\\t\\n\\r${NUL}]`);
const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  [NUL]: '',
};
const COPY_ESCAPE_ALL = new RegExp(`[\\\\\\t\\n\\r${NUL}]`, 'g');

/**
 * A text value as one COPY text-format field: backslash, tab, newline and carriage return escaped, NUL
 * (which a PostgreSQL text value cannot hold) dropped, so a hostile name never splits or fails a batch.
 */
export function copyTextField(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(COPY_ESCAPE_ALL, (c) => COPY_ESCAPES[c] ?? '') : value;
}

const TAB = 9;
const NEWLINE = 10;
const MINUS = 45;
const ZERO = 48;

/**
 * COPY text rows written straight into one growing Buffer: about 100 bytes a query-log row and no
 * per-row objects. (Building each row as a JS string held ~1 KB of rope nodes per row until sent, and
 * the garbage collector's work on 500,000 held rows cost more than PostgreSQL's.)
 */
export class CopyRows {
  rows = 0;
  private bytes: Buffer;
  private length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

  get byteLength(): number {
    return this.length;
  }

  /** Room for a row of `textChars` characters of text and `ints` integers, before writing it. */
  reserve(textChars: number, ints: number): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit, an escape doubles one; 21 bytes hold any safe integer.
    const need = this.length + textChars * 6 + ints * 22 + 2;
    if (need <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  /** An integer field followed by a tab. */
  int(value: number): void {
    let n = Number.isFinite(value) ? Math.trunc(value) : 0;
    const bytes = this.bytes;
    if (n < 0) {
      bytes[this.length++] = MINUS;
      n = -n;
    }
    if (n < 10) {
      bytes[this.length++] = ZERO + n;
    } else {
      let digits = 0;
      for (let rest = n; rest >= 1; rest = Math.floor(rest / 10)) digits++;
      let at = this.length + digits - 1;
      for (let rest = n; at >= this.length; rest = Math.floor(rest / 10)) bytes[at--] = ZERO + (rest % 10);
      this.length += digits;
    }
    bytes[this.length++] = TAB;
  }

  /** A text field (escaped) followed by a tab. */
  text(value: string): void {
    if (value.length > 0) this.length += this.bytes.write(copyTextField(value), this.length, 'utf8');
    this.bytes[this.length++] = TAB;
  }

  /** Ends the row: the last field's tab becomes the newline. */
  endRow(): void {
    this.bytes[this.length - 1] = NEWLINE;
    this.rows++;
  }

  /** The rows written so far (a view, valid until the next write). */
  data(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}
