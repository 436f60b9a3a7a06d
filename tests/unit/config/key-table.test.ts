/**
 * The key table (server/config/schema.ts) is the one definition of every config key: the `Config` type is
 * derived from it, and each default must pass the same conversion and checks a value from a file does.
 * The type assertions below are checked by `tsc` (npm run typecheck) as well as run here.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { coerce, DEFAULT_SOURCE } from '../../../server/config/coerce.js';
import { allKeys, defaultConfig } from '../../../server/config/load.js';
import {
  type Config,
  isKeySpec,
  schema,
  type KeySpec,
  type SchemaNode,
} from '../../../server/config/schema.js';
import { DASHBOARD_SETTING_KEYS } from '../../../server/settings/dashboard-settings.js';
import { Settings } from '../../../server/settings/settings-schema.js';

/** The node at a dotted path of a nested object (a key table or a TypeBox object's properties). */
function at<T>(root: unknown, dotted: string, step: (node: T, part: string) => unknown): T {
  return dotted.split('.').reduce<unknown>((node, part) => step(node as T, part), root) as T;
}

describe('the config key table', () => {
  it('gives each key its type', () => {
    expectTypeOf<Config['dns']['port']>().toEqualTypeOf<number>();
    expectTypeOf<Config['dns']['cache']['serveStale']>().toEqualTypeOf<boolean>();
    expectTypeOf<Config['dns']['upstreams']>().toEqualTypeOf<string[]>();
    expectTypeOf<Config['dns']['local']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<Config['dataDir']>().toEqualTypeOf<string>();
    // A key with choices is the union of its choices, not any string.
    expectTypeOf<Config['dns']['blocking']['mode']>().toEqualTypeOf<
      'null' | 'nxdomain' | 'nodata' | 'refused' | 'custom'
    >();
    expectTypeOf<Config['log']['queries']>().toEqualTypeOf<'all' | 'hide-names' | 'none'>();
    // The loaded config is mutable (live settings change it in place).
    expectTypeOf<Config['dns']['blocking']>().toHaveProperty('ttl').toEqualTypeOf<number>();
  });

  it('refuses, at compile time, a default of another kind than its key', () => {
    const wrong = {
      // @ts-expect-error an integer key's default must be a number
      port: { kind: 'integer', default: '53', why: 'x' },
    } satisfies SchemaNode;
    const noChoices = {
      // @ts-expect-error only a text key has choices
      ttl: { kind: 'integer', default: 1, oneOf: ['1'], why: 'x' },
    } satisfies SchemaNode;
    expect(Object.keys({ ...wrong, ...noChoices })).toEqual(['port', 'ttl']);
  });

  it('has defaults that pass their own key checks', () => {
    const defaults = defaultConfig() as unknown as Record<string, unknown>;
    for (const { key, spec } of allKeys()) {
      const value = key
        .split('.')
        .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], defaults);
      const problems: string[] = [];
      const converted = coerce(key, spec, value, DEFAULT_SOURCE, problems);
      expect(problems, key).toEqual([]);
      expect(converted, key).toEqual(spec.default);
    }
  });

  it('gives each dashboard setting the type, choices and range of its config key', () => {
    type Leaf = { type?: string; enum?: unknown[]; minimum?: number; maximum?: number; properties?: object };
    expect(DASHBOARD_SETTING_KEYS.size).toBeGreaterThan(10);
    for (const key of DASHBOARD_SETTING_KEYS) {
      const spec = at<KeySpec | SchemaNode>(schema, key, (node, part) => (node as SchemaNode)[part]);
      const leaf = at<Leaf>(Settings, key, (node, part) => (node.properties as Record<string, Leaf>)[part]);
      expect(isKeySpec(spec), key).toBe(true);
      const want = spec as KeySpec;
      switch (want.kind) {
        case 'integer':
          expect({ type: leaf.type, min: leaf.minimum, max: leaf.maximum }, key).toEqual({
            type: 'integer',
            min: want.min,
            max: want.max,
          });
          break;
        case 'string':
          expect(leaf.enum, key).toEqual(want.oneOf);
          break;
        case 'boolean':
          expect(leaf.type, key).toBe('boolean');
          break;
        case 'string[]':
          expect(leaf.type, key).toBe('array');
          break;
        case 'map':
          throw new Error(`${key}: a map key is no dashboard setting`);
      }
    }
  });
});
