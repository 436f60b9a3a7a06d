/**
 * The parsed form of a list's last good copy, kept beside it (`<dataDir>/lists/<id>.parsed`), so a start
 * with unchanged lists takes the parsed list from disk instead of starting the parser thread, posting the
 * text to it and parsing (issue 16: DNS answering within a second of a start; bench/GAP.md).
 *
 * A cached parse is used only when its key matches: the SHA-256 of the exact bytes that would be parsed,
 * the list id, the format, whether the body was served as HTML, V8's version (the serialisation format) and
 * the build's id (any change to the code, so to the parser, is a new build: `dist/server/bundle/build-id`,
 * written by scripts/bundle-server.mjs). Without a build id (TypeScript sources, tsc's build) there is no
 * cache. The payload carries its own SHA-256, checked before it is read, and the parsed list's shape is
 * checked after: a damaged, truncated or foreign file is ignored (and parsed again), never trusted.
 *
 * The file: a JSON header line, then the parse without its three rule arrays (v8.serialize), zero bytes up
 * to a multiple of four from the file's start, and the arrays' bytes as they lie in memory. So neither side
 * copies the arrays (12 MB for a million rules): put() writes them from the parse's own memory, get() returns
 * views of the file's bytes (read once) instead of deserialising copies. glibc keeps such large freed
 * blocks resident (bench/GAP.md, "million pass").
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { ListFormat, ParsedList } from '../filter/list-types.js';

const MAGIC = 'tracksink parsed list v2';

export interface CachedParse {
  parsed: ParsedList;
  blank: boolean;
}

/** What a cached parse was made from; all of it must match for the parse to be used. */
export interface ParseSource {
  /** A downloaded body (decoded as downloads are) or a copy read from disk (read as UTF-8). */
  kind: 'download' | 'file';
  listId: number;
  format: ListFormat | 'auto';
  servedAsHtml: boolean;
  body: Uint8Array;
}

/** The running build's id (beside the bundle's chunks), or null when not running from the bundle. */
export function bundleBuildId(): string | null {
  try {
    const id = readFileSync(new URL('./build-id', import.meta.url), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

export class ParsedListCache {
  constructor(
    private readonly dir: string,
    private readonly buildId: string,
  ) {}

  path(listId: number): string {
    return join(this.dir, `${listId}.parsed`);
  }

  key(source: ParseSource): string {
    return sha256(
      JSON.stringify([
        MAGIC,
        this.buildId,
        process.versions.v8,
        endianness(),
        source.kind,
        source.listId,
        source.format,
        source.servedAsHtml,
        sha256(source.body),
      ]),
    );
  }

  /** The cached parse for this key, or null (none, another key, damaged: all the same to the caller). */
  get(listId: number, key: string): CachedParse | null {
    let file: Buffer;
    try {
      file = readFileSync(this.path(listId));
    } catch {
      return null;
    }
    const newline = file.indexOf(0x0a);
    if (newline < 0 || newline > 1024) return null;
    try {
      const header = JSON.parse(file.subarray(0, newline).toString('utf8')) as Record<string, unknown>;
      const payload = file.subarray(newline + 1);
      const { rest, arrays } = header;
      if (header.magic !== MAGIC || header.key !== key || header.payload !== sha256(payload)) return null;
      if (!Number.isInteger(rest) || !Number.isInteger(arrays)) return null;
      const value = deserialize(payload.subarray(0, rest as number)) as CachedParse;
      const n = value?.parsed?.domainCount;
      if (!Number.isInteger(n) || payload.length !== (arrays as number) + n * 12) return null;
      const at = payload.byteOffset + (arrays as number);
      // Views of the file's bytes; a copy only if they do not start on a 4-byte boundary in memory.
      const bytes = at % 4 === 0 ? file.buffer : new Uint8Array(payload.subarray(arrays as number)).buffer;
      const start = at % 4 === 0 ? at : 0;
      value.parsed.hashHi = new Uint32Array(bytes, start, n);
      value.parsed.hashLo = new Uint32Array(bytes, start + n * 4, n);
      value.parsed.meta = new Uint32Array(bytes, start + n * 8, n);
      return soundParse(value, listId) ? value : null;
    } catch {
      return null;
    }
  }

  /** Stores a parse (written in the background; a failed write only costs a parse). */
  async put(listId: number, key: string, value: CachedParse): Promise<void> {
    const { hashHi, hashLo, meta, ...rest } = value.parsed;
    const restBytes = serialize({ parsed: rest, blank: value.blank });
    const bytesOf = (array: Uint32Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    const header = (pad: number, hash: string): Buffer =>
      Buffer.from(
        `${JSON.stringify({ magic: MAGIC, key, payload: hash, rest: restBytes.length, arrays: restBytes.length + pad })}\n`,
      );
    let pad = 0;
    while ((header(pad, '0'.repeat(64)).length + restBytes.length + pad) % 4 !== 0) pad++;
    const pieces = [restBytes, Buffer.alloc(pad), bytesOf(hashHi), bytesOf(hashLo), bytesOf(meta)];
    const hash = createHash('sha256');
    for (const piece of pieces) hash.update(piece);
    const path = this.path(listId);
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      // Written piece by piece: the arrays are not copied into one buffer first.
      await writeFile(temporary, [header(pad, hash.digest('hex')), ...pieces]);
      await rename(temporary, path);
    } catch {
      rmSync(temporary, { force: true });
    }
  }

  remove(listId: number): void {
    rmSync(this.path(listId), { force: true });
  }
}

/** The shape the matcher relies on: typed arrays of the stated length, arrays where arrays belong. */
function soundParse(value: CachedParse, listId: number): boolean {
  const parsed = value?.parsed;
  if (typeof value?.blank !== 'boolean' || typeof parsed !== 'object' || parsed === null) return false;
  const n = parsed.domainCount;
  return (
    parsed.listId === listId &&
    Number.isInteger(n) &&
    parsed.hashHi instanceof Uint32Array &&
    parsed.hashLo instanceof Uint32Array &&
    parsed.meta instanceof Uint32Array &&
    parsed.hashHi.length === n &&
    parsed.hashLo.length === n &&
    parsed.meta.length === n &&
    Array.isArray(parsed.slowRules) &&
    Array.isArray(parsed.badFilters) &&
    Array.isArray(parsed.badFilterKeys) &&
    Array.isArray(parsed.invalid) &&
    Array.isArray(parsed.ignored) &&
    Number.isInteger(parsed.entries)
  );
}
