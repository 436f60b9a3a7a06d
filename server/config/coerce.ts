/**
 * One config value against its key's spec: converts what the environment gives as text, checks the type,
 * the range, the choices and the key's own checks, and words every problem for people: the key, where
 * the value came from (file and line, environment variable, dashboard), what is wrong and what to write
 * instead, with an example in the form of that source.
 */
import { quoted } from './checks.js';
import type { IntegerKey, KeySpec } from './types.js';

/** Where a value came from: a file (with the line of the key and of each list item), a variable, … */
export interface Source {
  where: string;
  line?: number;
  /** Line of item `index` of a list, or of key `index` of a map (files only). */
  itemLine?: (index: number | string) => number | undefined;
}

export const DEFAULT_SOURCE: Source = { where: 'default' };

export function describeSource(source: Source, line = source.line): string {
  return line ? `${source.where}:${line}` : source.where;
}

export function isEnvSource(source: Source): boolean {
  return source.where.startsWith('TRACKSINK_');
}

/** "KEY (where): problem". */
export function problemAt(key: string, source: Source, problem: string, line?: number): string {
  return `${key} (${describeSource(source, line ?? source.line)}): ${problem}`;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quoted(value);
  return String(value);
}

/** The example value as YAML text (from the spec, else the default). */
function exampleValue(spec: KeySpec): string {
  if (spec.example !== undefined) return spec.example;
  const value = spec.default;
  if (Array.isArray(value)) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** "like 53" in a file, "like TRACKSINK_DNS_PORT=53" in the environment. */
export function exampleFor(spec: KeySpec, source: Source): string {
  const value = exampleValue(spec);
  if (!isEnvSource(source)) return `like ${value}`;
  let text = value;
  if (value.startsWith('[')) text = (JSON.parse(value) as string[]).join(',');
  else if (value.startsWith('"')) text = JSON.parse(value) as string;
  return `like ${source.where}=${text}`;
}

function range(spec: IntegerKey): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return ` of at least ${spec.min}`;
  return spec.max !== undefined ? ` up to ${spec.max}` : '';
}

const ENV_TRUE = ['1', 'true', 'yes', 'on'];
const ENV_FALSE = ['0', 'false', 'no', 'off'];

/** Converts and validates one value; returns it, or undefined after pushing the problems. */
export function coerce(
  key: string,
  spec: KeySpec,
  raw: unknown,
  source: Source,
  problems: string[],
): unknown {
  const fromEnv = isEnvSource(source);
  const fail = (problem: string): undefined => {
    problems.push(problemAt(key, source, problem));
    return undefined;
  };
  const checked = (value: unknown): unknown => {
    const problem = spec.check?.(value) ?? null;
    return problem === null ? value : fail(problem);
  };
  let value = raw;
  switch (spec.kind) {
    case 'integer': {
      if (fromEnv && typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) value = Number(raw.trim());
      const wanted = `Write a whole number${range(spec)}, ${exampleFor(spec, source)}`;
      if (typeof value !== 'number' || !Number.isInteger(value))
        return fail(`${typeName(raw)} is not a whole number. ${wanted}`);
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))
        return fail(`${value} is out of range. ${wanted}`);
      return checked(value);
    }
    case 'boolean': {
      if (fromEnv && typeof raw === 'string') {
        const text = raw.trim().toLowerCase();
        if (ENV_TRUE.includes(text)) value = true;
        else if (ENV_FALSE.includes(text)) value = false;
      }
      if (typeof value !== 'boolean') {
        const wanted = fromEnv
          ? `true or false (or 1/0, yes/no, on/off), ${exampleFor(spec, source)}`
          : 'true or false';
        return fail(`${typeName(raw)} is not true or false. Write ${wanted}`);
      }
      return checked(value);
    }
    case 'string': {
      if (typeof value === 'number' && !fromEnv) value = String(value);
      if (typeof value !== 'string') {
        return fail(
          `expected text, got ${typeName(raw)}. Write one value${fromEnv ? '' : ' in quotes'}, ${exampleFor(spec, source)}`,
        );
      }
      if (spec.oneOf && !spec.oneOf.includes(value)) {
        return fail(
          `${quoted(value)} is not one of the choices. Write one of ${spec.oneOf.join(', ')} (the default is ${String(spec.default)})`,
        );
      }
      return checked(value);
    }
    case 'string[]': {
      if (fromEnv && typeof raw === 'string') {
        value = raw
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0);
      }
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
        const wanted = fromEnv ? 'a comma-separated list' : 'a list of text values';
        return fail(`expected a list, got ${typeName(raw)}. Write ${wanted}, ${exampleFor(spec, source)}`);
      }
      let ok = true;
      (value as string[]).forEach((item, index) => {
        const problem = spec.itemCheck?.(item) ?? null;
        if (problem === null) return;
        ok = false;
        problems.push(problemAt(key, source, problem, source.itemLine?.(index)));
      });
      return ok ? checked(value) : undefined;
    }
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return fail(
          `expected name: value pairs, got ${typeName(raw)}. Write them ${exampleFor(spec, source)}`,
        );
      }
      const entries = Object.entries(value as Record<string, unknown>);
      let ok = true;
      for (const [name, item] of entries) {
        const line = source.itemLine?.(name);
        const problem =
          typeof item !== 'string'
            ? `the value of ${quoted(name)} is ${typeName(item)}. Write it in quotes, ${exampleFor(spec, source)}`
            : (spec.itemCheck?.(item) ?? null);
        if (problem === null) continue;
        ok = false;
        problems.push(problemAt(`${key}.${name}`, source, problem, line));
      }
      return ok ? checked(Object.fromEntries(entries)) : undefined;
    }
  }
}
