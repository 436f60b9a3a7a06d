/**
 * Checks one file of the app catalog (blocklists/apps/*.yaml). Every problem names the file and the line
 * of the entry or field, so a contributor fixes a file in one go; a malformed file is refused whole.
 */
import {
  type Document,
  LineCounter,
  type Node,
  type Pair,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
} from 'yaml';

import { APP_PLATFORMS, type AppPlatform } from './app-platforms.js';

export { APP_PLATFORMS, type AppPlatform };

/** One app as its file describes it, with where it is written (for later cross-file checks). */
export interface AppEntry {
  /** Stable key: the rollups in querylog.db store it. */
  key: string;
  name: string;
  /** The owner or brand people know. */
  company: string;
  platforms: AppPlatform[];
  /** The app's own API / CDN host names; each also covers its subdomains (label-aligned suffix). */
  hosts: string[];
  /** iOS bundle ids (App Privacy Report), optional. */
  bundleIds: string[];
  /** The public page the entry rests on. */
  source: string;
  file: string;
  line: number;
}

const FIELDS = ['key', 'name', 'company', 'platforms', 'hosts', 'bundleIds', 'source'] as const;
const KEY = /^[a-z0-9][a-z0-9-]{0,62}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SOURCE = /^https:\/\/[^\s/]+\.[^\s]+$/;
const BUNDLE_ID = /^[A-Za-z0-9][A-Za-z0-9.-]{0,154}$/;

/** A host as the catalog accepts it: lower case, at least two labels, no wildcard, no trailing dot. */
export function isAppHost(value: string): boolean {
  if (value.length > 253 || !value.includes('.')) return false;
  return value.split('.').every((label) => LABEL.test(label));
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

/** Parses and checks one file's text; pushes problems as "file:line: …" and returns the valid entries. */
export function checkAppFile(file: string, text: string, problems: string[]): AppEntry[] {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lines.linePos(node.range[0]).line : 1;
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const at = error.pos?.[0] !== undefined ? lines.linePos(error.pos[0]).line : 1;
      problems.push(`${file}:${at}: YAML error: ${error.message.split('\n')[0] ?? error.message}`);
    }
    return [];
  }
  const root = doc.contents;
  if (!isMap(root)) {
    problems.push(`${file}:${lineOf(root)}: the file must be a mapping with an 'apps' list`);
    return [];
  }
  for (const pair of root.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (name !== 'apps')
      problems.push(`${file}:${lineOf(pair.key as Node)}: unknown top-level field '${name}'`);
  }
  const list = root.get('apps', true);
  if (!isSeq(list)) {
    problems.push(`${file}:${lineOf(root)}: field 'apps' must be a list of apps, got ${describe(list)}`);
    return [];
  }
  const entries: AppEntry[] = [];
  list.items.forEach((item, index) => {
    const itemNode = item as Node;
    const entryLine = lineOf(itemNode);
    if (!isMap(item)) {
      problems.push(
        `${file}:${entryLine}: app #${index + 1} must be a mapping, got ${describe(isScalar(item) ? item.value : isSeq(item) ? [] : item)}`,
      );
      return;
    }
    const keyValue = item.get('key');
    const label = typeof keyValue === 'string' ? `app '${keyValue}'` : `app #${index + 1}`;
    const before = problems.length;
    const fieldLine = new Map<string, number>();
    for (const pair of item.items as Pair[]) {
      const field = isScalar(pair.key) ? String(pair.key.value) : '?';
      fieldLine.set(field, lineOf(pair.key as Node));
      if (!(FIELDS as readonly string[]).includes(field)) {
        problems.push(
          `${file}:${lineOf(pair.key as Node)}: ${label}: unknown field '${field}' (known: ${FIELDS.join(', ')})`,
        );
      }
    }
    const at = (field: string): string =>
      `${file}:${fieldLine.get(field) ?? entryLine}: ${label}: field '${field}'`;
    const raw = item.toJSON() as Record<string, unknown>;
    const text = (field: string, pattern?: RegExp, hint?: string): string => {
      const value = raw[field];
      if (typeof value !== 'string' || value.trim() === '') {
        problems.push(`${at(field)} must be a non-empty string, got ${describe(value)}`);
        return '';
      }
      if (pattern && !pattern.test(value))
        problems.push(`${at(field)} ${hint ?? 'is malformed'}, got ${JSON.stringify(value)}`);
      return value;
    };
    const strings = (field: string, required: boolean): string[] => {
      const value = raw[field];
      if (value === undefined && !required) return [];
      if (!Array.isArray(value) || (required && value.length === 0)) {
        problems.push(`${at(field)} must be a ${required ? 'non-empty ' : ''}list, got ${describe(value)}`);
        return [];
      }
      return value.map((element) => {
        if (typeof element !== 'string')
          problems.push(`${at(field)} holds ${describe(element)}, not a string`);
        return String(element);
      });
    };
    const key = text('key', KEY, 'must be lower-case letters, digits and dashes');
    const name = text('name');
    const company = text('company');
    const source = text('source', SOURCE, 'must be a public https:// address');
    const platforms = strings('platforms', true);
    for (const platform of platforms) {
      if (!(APP_PLATFORMS as readonly string[]).includes(platform)) {
        problems.push(
          `${at('platforms')} has unknown platform ${JSON.stringify(platform)} (known: ${APP_PLATFORMS.join(', ')})`,
        );
      }
    }
    const hosts = strings('hosts', true);
    for (const host of hosts) {
      if (!isAppHost(host)) {
        problems.push(
          `${at('hosts')} has ${JSON.stringify(host)}, not a lower-case host name of two labels or more`,
        );
        continue;
      }
      const covering = hosts.find((other) => other !== host && host.endsWith(`.${other}`));
      if (covering) problems.push(`${at('hosts')} has ${host}, already covered by ${covering}`);
    }
    if (new Set(hosts).size !== hosts.length) problems.push(`${at('hosts')} lists a host twice`);
    const bundleIds = strings('bundleIds', false);
    for (const id of bundleIds) {
      if (!BUNDLE_ID.test(id))
        problems.push(`${at('bundleIds')} has ${JSON.stringify(id)}, not an iOS bundle id`);
    }
    if (problems.length > before) return;
    entries.push({
      key,
      name,
      company,
      platforms: platforms as AppPlatform[],
      hosts,
      bundleIds,
      source,
      file,
      line: entryLine,
    });
  });
  return entries;
}
