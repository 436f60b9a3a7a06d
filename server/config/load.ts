/**
 * Loads the configuration: built-in defaults, then the YAML file (TRACKSINK_CONFIG or
 * config/tracksink.yaml when present), then TRACKSINK_* environment variables. Every problem is collected
 * and reported with the key (and the file line or variable it came from); an unknown key is an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { coerce, DEFAULT_SOURCE, problemAt, type Source } from './coerce.js';
import { type Config, type KeySpec, type SchemaNode, isKeySpec, schema } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Environment to read TRACKSINK_* from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Explicit config file; overrides TRACKSINK_CONFIG. */
  file?: string;
  /** Working directory for the default file and relative paths. */
  cwd?: string;
  /** Last-applied overrides by dotted key (tests use this to pick ports). */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  /** The file that was read, if any. */
  file: string | null;
}

/** Builds the defaults object from the schema. */
export function defaultConfig(): Config {
  return buildDefaults(schema) as unknown as Config;
}

function buildDefaults(node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node)) {
    out[key] = isKeySpec(child) ? structuredClone(child.default) : buildDefaults(child);
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}

function specAt(path: string[]): KeySpec | SchemaNode | undefined {
  let node: KeySpec | SchemaNode | undefined = schema;
  for (const part of path) {
    if (!node || isKeySpec(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

const YAML_HINT =
  'check the lines named above: each level indented two spaces more than its parent (like "dns:" and then "  port: 53" under it), a space after each colon, and quotes around text that holds a colon or #';

/** Where each key's value came from, so checks across keys can say where to change it. */
type Sources = Map<string, Source>;

/** The closest known key to a misspelt one ("prot" → "port"), when one is close enough. */
function closest(key: string, known: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** 'on the lines below http:, indented two spaces, like bind: "0.0.0.0"': the first setting under `prefix`. */
function nestedExample(prefix: string[]): string {
  let path = prefix;
  let node = specAt(path);
  while (node && !isKeySpec(node)) {
    const first = Object.keys(node)[0];
    if (first === undefined) break;
    path = [...path, first];
    node = node[first];
  }
  const parent = path.length > 1 ? path[path.length - 2] : 'dns';
  const leaf = path[path.length - 1];
  const value = node && isKeySpec(node) ? JSON.stringify(node.default) : '…';
  return `on the lines below ${parent}:, indented two spaces, like ${leaf}: ${value}`;
}

/** Applies a parsed YAML mapping onto the config, reporting unknown keys and bad values. */
function applyFile(
  config: Record<string, unknown>,
  data: unknown,
  file: string,
  lineOf: (path: Array<string | number>) => number | undefined,
  problems: string[],
  sources: Sources,
  prefix: string[] = [],
): void {
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) {
    const key = prefix.length ? prefix.join('.') : '(top level)';
    const got = Array.isArray(data) ? 'a list' : JSON.stringify(data);
    problems.push(
      problemAt(
        key,
        { where: file, line: lineOf(prefix) },
        `expected settings under it, got ${got}. Write them ${nestedExample(prefix)}`,
      ),
    );
    return;
  }
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const path = [...prefix, key];
    const spec = specAt(path);
    const dotted = path.join('.');
    const source: Source = {
      where: file,
      line: lineOf(path),
      itemLine: (index) => lineOf([...path, index]),
    };
    if (!spec) {
      const known = Object.keys((specAt(prefix) as SchemaNode | undefined) ?? {});
      const guess = closest(key, known);
      problems.push(
        problemAt(
          dotted,
          source,
          `tracksink has no such setting.${guess ? ` Did you mean ${guess}?` : ''} The settings ${prefix.length ? `under ${prefix.join('.')}` : 'at the top level'} are: ${known.join(', ')}`,
        ),
      );
      continue;
    }
    if (isKeySpec(spec)) {
      const converted = coerce(dotted, spec, value, source, problems);
      if (converted !== undefined) {
        setPath(config, path, converted);
        sources.set(dotted, source);
      }
    } else {
      applyFile(config, value, file, lineOf, problems, sources, path);
    }
  }
}

function forEachSpec(
  node: SchemaNode,
  visit: (path: string[], spec: KeySpec) => void,
  prefix: string[] = [],
) {
  for (const [key, child] of Object.entries(node)) {
    if (isKeySpec(child)) visit([...prefix, key], child);
    else forEachSpec(child, visit, [...prefix, key]);
  }
}

/** Every leaf key of the schema with its spec, in schema order. */
export function allKeys(): Array<{ key: string; spec: KeySpec }> {
  const out: Array<{ key: string; spec: KeySpec }> = [];
  forEachSpec(schema, (path, spec) => out.push({ key: path.join('.'), spec }));
  return out;
}

/** Checks that span several keys; each names the key to change and where its value came from. */
function crossChecks(config: Config, sources: Sources, problems: string[]): void {
  const at = (key: string, problem: string) =>
    problems.push(problemAt(key, sources.get(key) ?? DEFAULT_SOURCE, problem));
  const { blocking, cache } = config.dns;
  if (blocking.mode === 'custom' && blocking.ipv4.length === 0 && blocking.ipv6.length === 0) {
    at(
      'dns.blocking.mode',
      '"custom" answers blocked names with your own addresses, but none is set. Add one to dns.blocking.ipv4 (like ["192.168.1.2"]) or dns.blocking.ipv6, or write another mode: null, nxdomain, nodata or refused',
    );
  }
  if (cache.minTtl > cache.maxTtl) {
    at(
      'dns.cache.minTtl',
      `${cache.minTtl} is larger than dns.cache.maxTtl (${cache.maxTtl}). Write a number up to ${cache.maxTtl}, like 0, or raise dns.cache.maxTtl`,
    );
  }
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const config = defaultConfig() as unknown as Record<string, unknown>;

  const sources: Sources = new Map();
  const explicit = options.file ?? env.TRACKSINK_CONFIG;
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, 'config/tracksink.yaml');
  let used: string | null = null;
  if (existsSync(file)) {
    used = file;
    const text = readFileSync(file, 'utf8');
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const line = error.linePos?.[0]?.line;
        const what = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
        problems.push(`${file}${line ? `:${line}` : ''}: the file is not valid YAML: ${what}.`);
      }
      problems.push(`${file}: ${YAML_HINT}`);
    } else {
      const lineOf = (path: Array<string | number>): number | undefined => {
        const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
        return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
      };
      applyFile(config, doc.toJS(), file, lineOf, problems, sources);
    }
  } else if (explicit) {
    problems.push(
      `TRACKSINK_CONFIG: the file ${file} does not exist. Set it to the path of your config file (like TRACKSINK_CONFIG=/etc/tracksink/tracksink.yaml), or unset it to use config/tracksink.yaml when present`,
    );
  }

  forEachSpec(schema, (path, spec) => {
    if (!spec.env) return;
    const raw = env[spec.env];
    if (raw === undefined || raw === '') return;
    const source: Source = { where: spec.env };
    const converted = coerce(path.join('.'), spec, raw, source, problems);
    if (converted !== undefined) {
      setPath(config, path, converted);
      sources.set(path.join('.'), source);
    }
  });

  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    const path = key.split('.');
    const spec = specAt(path);
    const source: Source = { where: 'override' };
    if (!spec || !isKeySpec(spec)) {
      problems.push(problemAt(key, source, 'tracksink has no such setting'));
      continue;
    }
    const converted = coerce(key, spec, value, source, problems);
    if (converted !== undefined) {
      setPath(config, path, converted);
      sources.set(key, source);
    }
  }

  const typed = config as unknown as Config;
  if (problems.length === 0) crossChecks(typed, sources, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: typed, file: used };
}
