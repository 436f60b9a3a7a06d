/** What a list's `source` is: an http(s) URL, a local file, or a list generated from the catalog. */
import { isAbsolute, resolve } from 'node:path';

export const BUILTIN_CATALOG = 'builtin:catalog';
export const BUILTIN_PUBLIC_RESOLVERS = 'builtin:public-resolvers';
export const STEVENBLACK_UNIFIED = 'https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts';

export type SourceKind = 'url' | 'file' | 'builtin';

export class ListSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListSourceError';
  }
}

export function sourceKind(source: string): SourceKind {
  if (source.startsWith('builtin:')) return 'builtin';
  if (/^https?:\/\//i.test(source)) return 'url';
  return 'file';
}

/**
 * Checks and normalises a user-given source: URLs must parse and be http(s); file paths are made absolute
 * (against `cwd`) so the list keeps working whatever directory the server starts from.
 */
export function normaliseSource(input: string, cwd = process.cwd()): string {
  const source = input.trim();
  if (source === '') throw new ListSourceError('list source is empty: give an http(s) URL or a file path');
  if (source.startsWith('builtin:')) {
    if (source !== BUILTIN_CATALOG && source !== BUILTIN_PUBLIC_RESOLVERS) {
      throw new ListSourceError(
        `unknown built-in list ${JSON.stringify(source)} (known: ${BUILTIN_CATALOG}, ${BUILTIN_PUBLIC_RESOLVERS})`,
      );
    }
    return source;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new ListSourceError(`list source ${JSON.stringify(source)} is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ListSourceError(
        `list source ${JSON.stringify(source)}: only http and https URLs are supported`,
      );
    }
    return url.toString();
  }
  return isAbsolute(source) ? source : resolve(cwd, source);
}

/** A readable default name: the URL's host and file, or the file name. */
export function defaultListName(source: string): string {
  if (source === BUILTIN_CATALOG) return 'tracksink tracker catalog';
  if (source === BUILTIN_PUBLIC_RESOLVERS) return 'Public DoH/DoT resolvers';
  if (source === STEVENBLACK_UNIFIED) return 'StevenBlack unified hosts';
  if (sourceKind(source) === 'url') {
    const url = new URL(source);
    const file = url.pathname.split('/').filter(Boolean).pop();
    return file ? `${url.hostname} ${file}` : url.hostname;
  }
  return source.split(/[\\/]/).pop() || source;
}
