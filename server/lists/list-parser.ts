/**
 * Decodes and parses lists off the event loop: one long-lived worker thread (parse-worker.ts), started on
 * first use, takes downloaded bytes (or the path of a cached copy) one after another. Small bodies are
 * parsed in place: a worker round trip would cost more than the parse.
 *
 * If the worker cannot start or dies, the pending parses are done in place instead (a stall, never a lost
 * list) and the next parse starts a new worker. An idle worker is ended after IDLE_STOP_MS: its isolate
 * and heap (~20 MB resident after start-up, bench/GAP.md) are not kept for a refresh hours away.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import type { ListFormat, ParsedList } from '../filter/list-types.js';
import { parseList } from '../filter/parse.js';
import { decodeText, DownloadError } from '../net/download.js';
import type { ParsedListCache } from './parsed-cache.js';
import { releaseFreedMemory } from '../native-memory.js';

export interface ParseRequest {
  id: number;
  listId: number;
  format: ListFormat | 'auto';
  /** Downloaded bytes to decode (decodeText) and parse, or … */
  body?: Uint8Array;
  servedAsHtml?: boolean;
  /** … a file the worker reads itself (a cached copy: the text never crosses the thread boundary). */
  path?: string;
}

export interface ParseResponse {
  id: number;
  parsed?: ParsedList;
  /** The decoded text is only white space (for the acceptance check). */
  blank?: boolean;
  error?: string;
  /** The error is decodeText's: the body is not a text list (a DownloadError on this side too). */
  notText?: boolean;
}

/** The worker went away (could not start, crashed, was stopped): the request was not answered. */
class WorkerLost extends Error {}

/** An idle worker is ended after this long; the next parse starts another (tens of milliseconds). */
const IDLE_STOP_MS = 5_000;

/** Bodies up to this size are decoded and parsed in place (a few milliseconds at most). */
const INLINE_MAX_BYTES = 256 * 1024;

export class ListParser {
  private worker: Worker | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly idleStopMs: number;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (response: ParseResponse) => void; reject: (error: Error) => void }
  >();
  private closed = false;
  /** Workers after the first parse refreshes beside DNS: they run at a lower priority (thread-priority.ts). */
  private workersStarted = 0;

  private readonly cache: ParsedListCache | null;

  /** `cache`: parses of unchanged bytes are taken from disk (parsed-cache.ts), not parsed again. */
  constructor(options: { idleStopMs?: number; cache?: ParsedListCache | null } = {}) {
    this.idleStopMs = options.idleStopMs ?? IDLE_STOP_MS;
    this.cache = options.cache ?? null;
  }

  /** A worker thread is running (tests: it ends when idle). */
  get workerRunning(): boolean {
    return this.worker !== null;
  }

  /**
   * Decodes (decodeText: a DownloadError when the body is not a text list) and parses downloaded bytes,
   * in place when small, else in the worker. The text stays where it was decoded: the caller keeps the
   * bytes for the on-disk copy, and learns whether the text was blank.
   */
  async decodeAndParse(
    body: Uint8Array,
    servedAsHtml: boolean,
    listId: number,
    format: ListFormat | 'auto',
  ): Promise<{ parsed: ParsedList; blank: boolean }> {
    const key = this.cache?.key({ kind: 'download', listId, format, servedAsHtml, body }) ?? null;
    return this.cached(listId, key, () => this.parseBody(body, servedAsHtml, listId, format));
  }

  private async parseBody(
    body: Uint8Array,
    servedAsHtml: boolean,
    listId: number,
    format: ListFormat | 'auto',
  ): Promise<{ parsed: ParsedList; blank: boolean }> {
    const inPlace = () => {
      const text = decodeText(body, servedAsHtml);
      return { parsed: parseList(text, { listId, format }), blank: text.trim() === '' };
    };
    if (body.byteLength <= INLINE_MAX_BYTES) return inPlace();
    try {
      // Copied, not transferred: if the worker is lost, the bytes are still here to parse in place.
      const response = await this.send({ listId, format, body, servedAsHtml });
      return { parsed: response.parsed as ParsedList, blank: response.blank ?? false };
    } catch (error) {
      if (!(error instanceof WorkerLost) || this.closed) throw error;
      return inPlace();
    }
  }

  /** Parses a file (a list's cached copy) in the worker, which reads it. */
  async parseFile(path: string, listId: number, format: ListFormat | 'auto'): Promise<ParsedList> {
    const cache = this.cache;
    if (cache === null) return this.parseFileInWorker(path, listId, format);
    // Only the key is kept: the worker reads the file itself, so the bytes read here for the key are
    // not held through the parse (28 MB for a million-name list).
    const key = cache.key({ kind: 'file', listId, format, servedAsHtml: false, body: readFileSync(path) });
    return (
      await this.cached(listId, key, async () => ({
        parsed: await this.parseFileInWorker(path, listId, format),
      }))
    ).parsed;
  }

  /**
   * The cached parse under `key` when there is a sound one, else `parse()`'s, stored for the next start.
   * `blank` is stored only when the parse says it (a file's parse does not need it).
   */
  private async cached<T extends { parsed: ParsedList; blank?: boolean }>(
    listId: number,
    key: string | null,
    parse: () => Promise<T>,
  ): Promise<T> {
    const cache = this.cache;
    if (cache === null || key === null) return parse();
    const hit = cache.get(listId, key);
    if (hit !== null) return hit as unknown as T;
    const result = await parse();
    // Serialised before the caller can touch the typed arrays (the matcher may hand them on).
    await cache.put(listId, key, { parsed: result.parsed, blank: result.blank ?? false });
    return result;
  }

  private async parseFileInWorker(
    path: string,
    listId: number,
    format: ListFormat | 'auto',
  ): Promise<ParsedList> {
    try {
      return (await this.send({ listId, format, path })).parsed as ParsedList;
    } catch (error) {
      // A lost worker costs a stall, never a list; after close() nothing is parsed any more.
      if (!(error instanceof WorkerLost) || this.closed) throw error;
      return parseList(readFileSync(path, 'utf8'), { listId, format });
    }
  }

  /** Ends the worker; parses still pending fail. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = null;
    this.failAll(new WorkerLost('list parser closed'));
    if (worker) await worker.terminate();
  }

  private send(request: Omit<ParseRequest, 'id'>): Promise<ParseResponse> {
    if (this.closed) return Promise.reject(new WorkerLost('list parser closed'));
    const id = this.nextId++;
    return new Promise<ParseResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.idleTimer) clearTimeout(this.idleTimer);
      const worker = this.ensureWorker();
      // Held while a parse is in flight (a CLI must not exit under it), let go when idle.
      worker.ref();
      worker.postMessage({ ...request, id } satisfies ParseRequest);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerEntry(import.meta.url, 'parse-worker'), {
      workerData: { background: this.workersStarted++ > 0 },
    });
    worker.on('message', (response: ParseResponse) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if (this.pending.size === 0) {
        worker.unref();
        this.stopWhenIdle(worker);
      }
      if (response.parsed) waiter.resolve(response);
      else {
        const message = response.error ?? 'list parse failed';
        waiter.reject(response.notText ? new DownloadError(message) : new Error(message));
      }
    });
    const lost = (error: Error) => {
      // Only the current worker's parses are its own: an idle one ended on purpose had none, and a new
      // worker may already be parsing.
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(error);
    };
    worker.on('error', (error) => lost(new WorkerLost(`list parser failed: ${error.message}`)));
    worker.on('exit', (code) => lost(new WorkerLost(`list parser stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  private stopWhenIdle(worker: Worker): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker !== worker || this.pending.size > 0) return;
      this.worker = null; // so its 'exit' fails nothing (a newer worker's parses are not its own)
      // Its heap's pages stay in glibc's arenas after it ends unless given back (native-memory.ts).
      void worker.terminate().then(releaseFreedMemory);
    }, this.idleStopMs);
    this.idleTimer.unref();
  }

  private failAll(error: Error): void {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
