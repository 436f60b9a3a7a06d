/**
 * Gets the current bytes of a URL or file source (built-in lists are generated, not fetched); the caller
 * decodes them (decodeText, in the list parser's worker for large ones).
 */
import { readFile, stat } from 'node:fs/promises';
import { DownloadError, downloadRaw, type RawDownloadResult } from '../net/download.js';
import { sourceKind } from './list-source.js';
import { checkFileSource, checkUrlTarget, type ListSourcePolicy } from './source-policy.js';

export interface FetchOptions {
  etag: string | null;
  lastModified: string | null;
  timeoutMs: number;
  maxBytes: number;
  onBytes?: (received: number, expected: number | null) => void;
  signal?: AbortSignal;
  /** Where lists may come from (source-policy.ts). */
  policy: ListSourcePolicy;
}

export async function fetchListSource(source: string, options: FetchOptions): Promise<RawDownloadResult> {
  const { policy } = options;
  if (sourceKind(source) === 'url') {
    const trusted = policy.trusted.has(source);
    return downloadRaw(source, { ...options, checkTarget: (url) => checkUrlTarget(policy, url, trusted) });
  }
  await checkFileSource(policy, source);
  let size: number;
  try {
    const info = await stat(source);
    if (!info.isFile()) throw new DownloadError(`${source} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    throw new DownloadError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (size > options.maxBytes)
    throw new DownloadError(`${source} is ${size} bytes, over the ${options.maxBytes}-byte limit`);
  const bytes = await readFile(source).catch((error: NodeJS.ErrnoException) => {
    throw new DownloadError(`cannot read ${source}: ${error.code ?? 'error'}`);
  });
  options.onBytes?.(bytes.byteLength, bytes.byteLength);
  return {
    status: 'ok',
    body: bytes,
    servedAsHtml: false,
    bytes: bytes.byteLength,
    etag: null,
    lastModified: null,
  };
}
