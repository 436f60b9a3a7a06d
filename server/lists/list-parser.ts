/**
 * Parses list texts off the event loop: one long-lived worker thread (parse-worker.ts), started on first
 * use, takes the texts (or the path of a cached copy) one after another. Small texts, such as the built-in
 * catalog's lists, are parsed in place: a worker round trip would cost more than the parse.
 *
 * If the worker cannot start or dies, the pending parses are done in place instead (a stall, never a lost
 * list) and the next parse starts a new worker.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ListFormat, ParsedList } from '../filter/list-types.js';
import { parseList } from '../filter/parse.js';

export interface ParseRequest {
  id: number;
  listId: number;
  format: ListFormat | 'auto';
  /** The text, or … */
  text?: string;
  /** … a file the worker reads itself (a cached copy: the text never crosses the thread boundary). */
  path?: string;
}

export interface ParseResponse {
  id: number;
  parsed?: ParsedList;
  error?: string;
}

/** Texts up to this size are parsed in place (a few milliseconds at most). */
const INLINE_MAX_CHARS = 256 * 1024;

/** The built worker beside this file, or (tests, tsx) a bootstrap that registers tsx in the worker. */
function workerEntry(): URL {
  const built = new URL('./parse-worker.js', import.meta.url);
  if (existsSync(built)) return built;
  const source = new URL('./parse-worker.ts', import.meta.url).href;
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(source)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

export class ListParser {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (parsed: ParsedList) => void; reject: (error: Error) => void }
  >();
  private closed = false;

  /** Parses a text (in place when small, else in the worker). */
  parseText(text: string, listId: number, format: ListFormat | 'auto'): Promise<ParsedList> {
    if (text.length <= INLINE_MAX_CHARS) return Promise.resolve(parseList(text, { listId, format }));
    return this.send({ listId, format, text }).catch((error: unknown) =>
      this.inPlace(error, () => text, listId, format),
    );
  }

  /** Parses a file (a list's cached copy) in the worker, which reads it. */
  parseFile(path: string, listId: number, format: ListFormat | 'auto'): Promise<ParsedList> {
    return this.send({ listId, format, path }).catch((error: unknown) =>
      this.inPlace(error, () => readFileSync(path, 'utf8'), listId, format),
    );
  }

  /**
   * The worker failed (it could not start, or died): the list is parsed here after all, so a worker
   * problem costs a stall, never a list. After close() nothing is parsed any more.
   */
  private inPlace(
    error: unknown,
    text: () => string,
    listId: number,
    format: ListFormat | 'auto',
  ): ParsedList {
    if (this.closed) throw error;
    return parseList(text(), { listId, format });
  }

  /** Ends the worker; parses still pending fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('list parser closed'));
    if (worker) await worker.terminate();
  }

  private send(request: Omit<ParseRequest, 'id'>): Promise<ParsedList> {
    if (this.closed) return Promise.reject(new Error('list parser closed'));
    const id = this.nextId++;
    return new Promise<ParsedList>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const worker = this.ensureWorker();
      // Held while a parse is in flight (a CLI must not exit under it), let go when idle.
      worker.ref();
      worker.postMessage({ ...request, id } satisfies ParseRequest);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerEntry());
    worker.on('message', (response: ParseResponse) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if (this.pending.size === 0) worker.unref();
      if (response.parsed) waiter.resolve(response.parsed);
      else waiter.reject(new Error(response.error ?? 'list parse failed'));
    });
    const lost = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(error);
    };
    worker.on('error', (error) => lost(new Error(`list parser failed: ${error.message}`)));
    worker.on('exit', (code) => lost(new Error(`list parser stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
