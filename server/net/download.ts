/**
 * One conditional HTTP(S) download (a list, the companies database): If-None-Match / If-Modified-Since, an overall timeout, a size
 * cap, progress by bytes, and a strict check that the body is complete text. Every failure becomes a
 * DownloadError whose message says what went wrong in words a user can act on; the caller keeps its
 * last good copy.
 */

export class DownloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  etag?: string | null;
  lastModified?: string | null;
  timeoutMs: number;
  maxBytes: number;
  /** Called as bytes arrive (total so far, expected total when the server said). */
  onBytes?: (received: number, expected: number | null) => void;
  /** Aborts the download (ListManager.stop()). */
  signal?: AbortSignal;
  /**
   * Checks each URL before it is requested, the first and every redirect target (source-policy.ts: no
   * local addresses); throws a DownloadError to refuse it.
   */
  checkTarget?: (url: URL) => Promise<void>;
}

/** Redirects followed at most (each one checked like the first URL). */
const MAX_REDIRECTS = 5;

export type DownloadResult =
  | { status: 'not-modified' }
  | { status: 'ok'; text: string; bytes: number; etag: string | null; lastModified: string | null };

/**
 * A download before it is decoded: the list manager decodes and parses a large body in its parse worker
 * (decodeText on 60 MB holds the event loop for a good fraction of a second).
 */
export type RawDownloadResult =
  | { status: 'not-modified' }
  | {
      status: 'ok';
      body: Uint8Array;
      /** Served as text/html: the HTML check in decodeText is stricter. */
      servedAsHtml: boolean;
      bytes: number;
      etag: string | null;
      lastModified: string | null;
    };

const USER_AGENT = 'tracksink (list refresh; +https://github.com/tracksink)';

/** Downloads and decodes a list (the text is checked by decodeText). */
export async function downloadList(url: string, options: DownloadOptions): Promise<DownloadResult> {
  const result = await downloadRaw(url, options);
  if (result.status !== 'ok') return result;
  const { body, servedAsHtml, ...rest } = result;
  return { ...rest, text: decodeText(body, servedAsHtml) };
}

/** Downloads a list's bytes without decoding them; the caller runs decodeText. */
export async function downloadRaw(url: string, options: DownloadOptions): Promise<RawDownloadResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'text/plain, */*;q=0.5' };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;

  const response = await fetchFollowingRedirects(url, headers, signal, timeout, options);
  if (response.status === 304) {
    await response.body?.cancel().catch(() => undefined);
    return { status: 'not-modified' };
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    // The status text is the server's own words: not repeated (errors say nothing of foreign content).
    throw new DownloadError(`server answered HTTP ${response.status}`);
  }
  // Some list hosts label plain text as text/html, so the type alone does not condemn a body: it only
  // makes the HTML sniffing below stricter.
  const htmlType = /^\s*(text\/html|application\/xhtml)/i.test(response.headers.get('content-type') ?? '');
  const lengthHeader = response.headers.get('content-length');
  const expected = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  // Only trust Content-Length for an identity body: with compression it counts encoded bytes.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  if (expected !== null && expected > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new DownloadError(`list is ${expected} bytes, over the ${options.maxBytes}-byte limit`);
  }

  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        received += chunk.byteLength;
        if (received > options.maxBytes) {
          throw new DownloadError(`list is over the ${options.maxBytes}-byte limit`);
        }
        chunks.push(chunk);
        options.onBytes?.(received, encoded ? null : expected);
      }
    }
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    throw describeFailure(error, timeout, options.timeoutMs, `reading the body after ${received} bytes`);
  }
  if (!encoded && expected !== null && received !== expected) {
    throw new DownloadError(`download truncated: got ${received} of ${expected} bytes`);
  }
  return {
    status: 'ok',
    body: Buffer.concat(chunks),
    servedAsHtml: htmlType,
    bytes: received,
    etag: response.headers.get('etag'),
    lastModified: response.headers.get('last-modified'),
  };
}

/** Follows redirects by hand so that every hop passes options.checkTarget before it is requested. */
async function fetchFollowingRedirects(
  first: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  timeout: AbortSignal,
  options: DownloadOptions,
): Promise<Response> {
  let url = new URL(first);
  for (let hop = 0; ; hop++) {
    await options.checkTarget?.(url);
    let response: Response;
    try {
      response = await fetch(url, { headers, signal, redirect: 'manual' });
    } catch (error) {
      throw describeFailure(error, timeout, options.timeoutMs, 'connecting');
    }
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
    await response.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) throw new DownloadError(`more than ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new DownloadError('the server redirected to an invalid address');
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      throw new DownloadError('the server redirected to a non-http(s) address');
    url = next;
  }
}

function describeFailure(
  error: unknown,
  timeout: AbortSignal,
  timeoutMs: number,
  stage: string,
): DownloadError {
  if (timeout.aborted)
    return new DownloadError(`timed out after ${timeoutMs} ms while ${stage}`, { cause: error });
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'AbortError') return new DownloadError('download cancelled', { cause: error });
  // An error code (ECONNREFUSED …), never a message that could carry the server's words.
  const detail = err.cause?.code ?? (err as NodeJS.ErrnoException).code ?? 'network error';
  if (stage === 'connecting') return new DownloadError(`could not download: ${detail}`, { cause: error });
  // A body cut short by the server surfaces as a socket error while reading.
  return new DownloadError(`download truncated (${detail}) while ${stage}`, { cause: error });
}

/**
 * Decodes a list body as UTF-8, refusing what is not text: NUL bytes or invalid UTF-8 mean a binary file
 * (an archive, an image), and an HTML document means an error or login page served with a wrong type.
 */
export function decodeText(bytes: Uint8Array, servedAsHtml = false): string {
  if (bytes.includes(0))
    throw new DownloadError('not a text list: the body contains binary data (NUL bytes)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DownloadError('not a text list: the body is not valid UTF-8');
  }
  if (looksLikeHtml(text, servedAsHtml)) {
    throw new DownloadError(
      `not a list: the body is an HTML page${servedAsHtml ? ' (served as text/html)' : ''}`,
    );
  }
  return text;
}

/**
 * No list format starts with a tag: a body whose first character is `<` and that has an HTML document
 * tag near the start is an error, login or captive-portal page. Served as text/html, any leading tag is.
 */
export function looksLikeHtml(text: string, servedAsHtml = false): boolean {
  const head = text
    .slice(0, 2048)
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (!head.startsWith('<')) return false;
  if (servedAsHtml) return true;
  return (
    /^<(!doctype html|html|head|body|\?xml[^>]*>\s*<(!doctype html|html))/.test(head) ||
    /<(html|body|head|script|title)[\s>]/.test(head)
  );
}
