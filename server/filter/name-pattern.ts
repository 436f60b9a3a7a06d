/**
 * The two kinds of pattern a slow rule can hold, both matched in time linear in the name (a rule can
 * never stall DNS, whatever a list or a household writes):
 *  - `/regex/` rules run on RE2 (re2js, a pure JavaScript port): no backtracking, so a pattern like
 *    `^(.*\.)*doubleclick\.net$` costs the same on a 36-label name as on a short one. RE2 has no
 *    lookaround or back-references; AdGuard Home (Go's regexp, also RE2) refuses those too.
 *  - adblock patterns (`ads*.example^`, `||example.org/*`, `://example.org`, `/sub.`) are matched as
 *    AdGuard's urlfilter does for a DNS question: against the URL `http://<name>/`. `*` is any run of
 *    characters, `^` a separator or the end, `||` the start of a label of the host, `|` an edge.
 *    Matched here without a regex and without allocating.
 */
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSEngine } from 're2js';

let re2: typeof RE2JSEngine | undefined;

/**
 * re2js, loaded on the first `/regex/` rule: most households' lists have none (StevenBlack, HaGeZi Light), and
 * the module's source and tables would otherwise stay in every isolate that imports the filter (bench/GAP.md,
 * "memory pass"). Loaded with require, which is synchronous, so compiling stays synchronous; the server bundle
 * leaves it in node_modules (esbuild does not follow a createRequire call).
 */
function engine(): typeof RE2JSEngine {
  re2 ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSEngine }).RE2JS;
  return re2;
}

export interface NameMatcher {
  test(name: string): boolean;
}

/** Compiles a `/regex/` body for case-insensitive matching; throws with RE2's reason when it cannot. */
export function compileNameRegex(source: string): NameMatcher {
  const RE2JS = engine();
  const pattern = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  return { test: (name) => pattern.test(name) };
}

/** Longest `/regex/` body accepted: compiling RE2 is linear, but a list should not make it costly. */
export const MAX_REGEX_LENGTH = 1024;

/** The reason a regex cannot be used, or '' when it compiles. */
export function regexProblem(source: string): string {
  if (source.length > MAX_REGEX_LENGTH) {
    return `longer than ${MAX_REGEX_LENGTH} characters (${source.length})`;
  }
  try {
    const RE2JS = engine();
    RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
    return '';
  } catch (error) {
    return (error as Error).message.replace(/^error parsing regexp: /, '');
  }
}

const PREFIX = 'http://';
const HOST_START = PREFIX.length;
/** Code marking `^` (separator) in a compiled segment; real characters are all below 128. */
const SEPARATOR = -1;

const enum Anchor {
  none = 0,
  /** `|`: at the start of the URL or of the host. */
  edge = 1,
  /** `||`: at the start of any label of the host. */
  label = 2,
}

/**
 * Shapes of pattern that can match some `http://<name>/`: an optional scheme part, host characters
 * and wildcards, an optional `/` with wildcards after it. Anything else (a path, a query) is a URL rule
 * that no DNS question can match.
 */
const DNS_PATTERN = /^(?:[a-z]*:\/\/|\/\/?)?[a-z0-9._*^%-]*(?:\/[*^]*)?$/;

/**
 * Checks an adblock pattern (lower case, without `@@` and modifiers) for DNS use: '' when usable, else
 * why not. `tooWide` is set when the pattern has no literal host character at all (it would match
 * every name).
 */
export function adblockPatternProblem(pattern: string): { problem: string; tooWide: boolean } {
  const body = stripAnchors(pattern);
  if (!DNS_PATTERN.test(body)) {
    const bad = /[^a-z0-9._*^%|:/-]/.exec(body)?.[0];
    return {
      problem:
        bad !== undefined
          ? `"${bad}" in the pattern: a URL rule, not a DNS rule`
          : 'a URL path: no DNS name can match it',
      tooWide: false,
    };
  }
  return { problem: '', tooWide: !/[a-z0-9._%-]/.test(body) };
}

function stripAnchors(pattern: string): string {
  let body = pattern;
  if (body.startsWith('||')) body = body.slice(2);
  else if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|')) body = body.slice(0, -1);
  return body;
}

/** An adblock pattern compiled to segments between `*`s (character codes, SEPARATOR for `^`). */
export class AdblockPattern implements NameMatcher {
  private readonly anchor: Anchor;
  private readonly anchorEnd: boolean;
  private readonly segments: Int16Array[];
  /** The pattern has a `*` before its first segment / after its last one. */
  private readonly openStart: boolean;
  private readonly openEnd: boolean;

  constructor(pattern: string) {
    let body = pattern.toLowerCase();
    let anchor = Anchor.none;
    if (body.startsWith('||')) {
      anchor = Anchor.label;
      body = body.slice(2);
    } else if (body.startsWith('|')) {
      anchor = Anchor.edge;
      body = body.slice(1);
    }
    this.anchorEnd = body.endsWith('|');
    if (this.anchorEnd) body = body.slice(0, -1);
    const parts = body.split('*');
    this.openStart = parts[0] === '';
    this.openEnd = parts[parts.length - 1] === '';
    this.anchor = this.openStart ? Anchor.none : anchor;
    this.segments = parts
      .filter((p) => p !== '')
      .map((p) => Int16Array.from(p, (ch) => (ch === '^' ? SEPARATOR : ch.charCodeAt(0))));
  }

  test(name: string): boolean {
    const segments = this.segments;
    const length = HOST_START + name.length + 1;
    if (segments.length === 0) return true;
    const first = segments[0]!;
    const single = segments.length === 1;
    const mustEnd = this.anchorEnd && !this.openEnd;
    for (let start = 0; start < length; start++) {
      if (!this.startAllowed(name, start)) continue;
      const end = matchSegment(first, name, start, length);
      if (end < 0) continue;
      if (single) {
        if (!mustEnd || endsAtEdge(end, length)) return true;
        continue;
      }
      // The earliest place for the first segment leaves the most room for the rest: no retry needed
      // once the rest has been tried from it (unless the start is pinned to an edge).
      return this.matchRest(name, end, length, mustEnd);
    }
    return false;
  }

  private startAllowed(name: string, start: number): boolean {
    switch (this.anchor) {
      case Anchor.none:
        return true;
      case Anchor.edge:
        return start === 0 || start === HOST_START;
      case Anchor.label:
        return (
          start === HOST_START ||
          (start > HOST_START &&
            start < HOST_START + name.length &&
            name.charCodeAt(start - HOST_START - 1) === 46)
        );
    }
  }

  private matchRest(name: string, from: number, length: number, mustEnd: boolean): boolean {
    const segments = this.segments;
    let pos = from;
    const last = segments.length - 1;
    for (let k = 1; k < last; k++) {
      const seg = segments[k]!;
      let found = -1;
      for (let s = pos; s <= length; s++) {
        const end = matchSegment(seg, name, s, length);
        if (end >= 0) {
          found = end;
          break;
        }
      }
      if (found < 0) return false;
      pos = found;
    }
    const tail = segments[last]!;
    for (let s = pos; s <= length; s++) {
      const end = matchSegment(tail, name, s, length);
      if (end >= 0 && (!mustEnd || endsAtEdge(end, length))) return true;
    }
    return false;
  }
}

/** The URL ends with the `/` after the host: an end anchor holds just before it or after it. */
function endsAtEdge(end: number, length: number): boolean {
  return end === length || end === length - 1;
}

/** Character `i` of `http://<name>/`. */
function urlChar(name: string, i: number): number {
  if (i < HOST_START) return PREFIX.charCodeAt(i);
  const j = i - HOST_START;
  return j < name.length ? name.charCodeAt(j) : 47;
}

function isSeparator(c: number): boolean {
  const word = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  return !word && c !== 95 && c !== 45 && c !== 46 && c !== 37;
}

/** Matches one segment at `start`; returns where it ends, or -1. `^` may also match the very end. */
function matchSegment(seg: Int16Array, name: string, start: number, length: number): number {
  let pos = start;
  for (let k = 0; k < seg.length; k++) {
    const want = seg[k]!;
    if (pos >= length) {
      // Only separators may remain: each matches the end of the URL without taking a character.
      if (want !== SEPARATOR) return -1;
      continue;
    }
    const c = urlChar(name, pos);
    if (want === SEPARATOR) {
      if (!isSeparator(c)) return -1;
    } else if (c !== want && !(c >= 65 && c <= 90 && (c | 0x20) === want)) return -1;
    pos++;
  }
  return pos;
}
