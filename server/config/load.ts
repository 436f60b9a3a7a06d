/**
 * Loads the configuration: built-in defaults, then the YAML file (TRACKSINK_CONFIG or
 * config/tracksink.yaml when present), then TRACKSINK_* environment variables. Every problem is collected
 * and reported with the key (and the file line or variable it came from); an unknown key is an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
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

type Source = { where: string; line?: number };

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

function describe(source: Source): string {
  return source.line ? `${source.where}:${source.line}` : source.where;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Converts and validates one value against its spec; returns the value or pushes a problem. */
function coerce(key: string, spec: KeySpec, raw: unknown, source: Source, problems: string[]): unknown {
  const at = `${key} (${describe(source)})`;
  const fromEnv = source.where.startsWith('TRACKSINK_');
  let value = raw;
  switch (spec.kind) {
    case 'integer': {
      if (fromEnv && typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) value = Number(raw.trim());
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        problems.push(`${at}: expected an integer, got ${typeName(raw)}`);
        return undefined;
      }
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
        problems.push(`${at}: ${value} is out of range (${spec.min ?? '-∞'} to ${spec.max ?? '∞'})`);
        return undefined;
      }
      return value;
    }
    case 'boolean': {
      if (fromEnv && typeof raw === 'string') {
        const text = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(text)) value = true;
        else if (['0', 'false', 'no', 'off'].includes(text)) value = false;
      }
      if (typeof value !== 'boolean') {
        problems.push(`${at}: expected true or false, got ${typeName(raw)}`);
        return undefined;
      }
      return value;
    }
    case 'string': {
      if (typeof value === 'number' && !fromEnv) value = String(value);
      if (typeof value !== 'string') {
        problems.push(`${at}: expected a string, got ${typeName(raw)}`);
        return undefined;
      }
      if (spec.oneOf && !spec.oneOf.includes(value)) {
        problems.push(`${at}: "${value}" is not one of ${spec.oneOf.join(', ')}`);
        return undefined;
      }
      return value;
    }
    case 'string[]': {
      if (fromEnv && typeof raw === 'string') {
        value = raw
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0);
      }
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
        problems.push(`${at}: expected a list of strings, got ${typeName(raw)}`);
        return undefined;
      }
      return value;
    }
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        problems.push(`${at}: expected a mapping of name: value, got ${typeName(raw)}`);
        return undefined;
      }
      const entries = Object.entries(value as Record<string, unknown>);
      const bad = entries.find(([, v]) => typeof v !== 'string');
      if (bad) {
        problems.push(`${at}: value of "${bad[0]}" must be a string, got ${typeName(bad[1])}`);
        return undefined;
      }
      return Object.fromEntries(entries);
    }
  }
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

/** Applies a parsed YAML mapping onto the config, reporting unknown keys and bad values. */
function applyFile(
  config: Record<string, unknown>,
  data: unknown,
  file: string,
  lineOf: (path: string[]) => number | undefined,
  problems: string[],
  prefix: string[] = [],
): void {
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) {
    const key = prefix.length ? prefix.join('.') : '(top level)';
    problems.push(`${key} (${file}): expected a mapping, got ${typeName(data)}`);
    return;
  }
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const path = [...prefix, key];
    const spec = specAt(path);
    const dotted = path.join('.');
    const source = { where: file, line: lineOf(path) };
    if (!spec) {
      const known = Object.keys((specAt(prefix) as SchemaNode | undefined) ?? {}).join(', ');
      problems.push(`${dotted} (${describe(source)}): unknown key; known keys here: ${known}`);
      continue;
    }
    if (isKeySpec(spec)) {
      const converted = coerce(dotted, spec, value, source, problems);
      if (converted !== undefined) setPath(config, path, converted);
    } else {
      applyFile(config, value, file, lineOf, problems, path);
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

/** Checks that span several keys or need parsing beyond the type. */
function crossChecks(config: Config, problems: string[]): void {
  const { blocking } = config.dns;
  for (const [key, list, family] of [
    ['dns.blocking.ipv4', blocking.ipv4, 4],
    ['dns.blocking.ipv6', blocking.ipv6, 6],
  ] as const) {
    for (const address of list) {
      if (isIP(address) !== family) problems.push(`${key}: "${address}" is not an IPv${family} address`);
    }
  }
  if (blocking.mode === 'custom' && blocking.ipv4.length === 0 && blocking.ipv6.length === 0) {
    problems.push(
      'dns.blocking.mode: "custom" needs at least one address in dns.blocking.ipv4 or dns.blocking.ipv6',
    );
  }
  if (config.dns.upstreams.length === 0) problems.push('dns.upstreams: at least one upstream is needed');
  for (const upstream of config.dns.upstreams) {
    if (!/^(udp|tcp|tls|https):\/\/./.test(upstream)) {
      problems.push(`dns.upstreams: "${upstream}" must start with udp://, tcp://, tls:// or https://`);
    }
  }
  for (const address of config.dns.bootstrap) {
    if (!isIP(address.replace(/:\d+$/, '')) && !isIP(address)) {
      problems.push(`dns.bootstrap: "${address}" is not an IP address`);
    }
  }
  for (const key of ['dns.access.allow', 'dns.access.deny'] as const) {
    const list = key === 'dns.access.allow' ? config.dns.access.allow : config.dns.access.deny;
    for (const cidr of list) {
      const [address, bits, extra] = cidr.split('/');
      const family = isIP(address ?? '');
      const max = family === 6 ? 128 : 32;
      const prefixOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
      if (!family || !prefixOk || extra !== undefined)
        problems.push(`${key}: "${cidr}" is not an address or CIDR`);
    }
  }
  for (const [name, address] of Object.entries(config.dns.local)) {
    if (!isIP(address)) problems.push(`dns.local.${name}: "${address}" is not an IP address`);
  }
  if (config.dns.cache.minTtl > config.dns.cache.maxTtl) {
    problems.push(
      `dns.cache.minTtl: ${config.dns.cache.minTtl} is larger than dns.cache.maxTtl (${config.dns.cache.maxTtl})`,
    );
  }
  if (config.devices.reverseDnsServer && !isIP(config.devices.reverseDnsServer)) {
    problems.push(`devices.reverseDnsServer: "${config.devices.reverseDnsServer}" is not an IP address`);
  }
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const config = defaultConfig() as unknown as Record<string, unknown>;

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
        problems.push(`${file}${line ? `:${line}` : ''}: YAML syntax error: ${error.message.split('\n')[0]}`);
      }
    } else {
      const lineOf = (path: string[]): number | undefined => {
        const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
        return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
      };
      applyFile(config, doc.toJS(), file, lineOf, problems);
    }
  } else if (explicit) {
    problems.push(`TRACKSINK_CONFIG: file ${file} does not exist`);
  }

  forEachSpec(schema, (path, spec) => {
    if (!spec.env) return;
    const raw = env[spec.env];
    if (raw === undefined || raw === '') return;
    const converted = coerce(path.join('.'), spec, raw, { where: spec.env }, problems);
    if (converted !== undefined) setPath(config, path, converted);
  });

  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    const path = key.split('.');
    const spec = specAt(path);
    if (!spec || !isKeySpec(spec)) {
      problems.push(`${key} (override): unknown key`);
      continue;
    }
    const converted = coerce(key, spec, value, { where: 'override' }, problems);
    if (converted !== undefined) setPath(config, path, converted);
  }

  const typed = config as unknown as Config;
  if (problems.length === 0) crossChecks(typed, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: typed, file: used };
}
