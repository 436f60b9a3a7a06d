import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../../server/api/auth/password.js';
import { normaliseDomain } from '../../../server/api/http/domain-name.js';
import { durationMs } from '../../../server/api/http/duration.js';
import { formatValidationErrors } from '../../../server/api/http/errors.js';
import { flatten } from '../../../server/settings/dotted-keys.js';
import { validateChanges } from '../../../server/settings/validate-settings.js';
import { defaultConfig } from '../../../server/config/load.js';
import { qtypeCode, qtypeName } from '../../../server/metrics/qtype-names.js';

describe('API helpers', () => {
  it('hashes passwords with scrypt, salted, and verifies them', async () => {
    const cheap = { N: 1024, r: 8, p: 1 };
    const a = await hashPassword('hunter22', cheap);
    const b = await hashPassword('hunter22', cheap);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('hunter22', a)).toBe(true);
    expect(await verifyPassword('hunter23', a)).toBe(false);
    expect(await verifyPassword('hunter22', 'garbage')).toBe(false);
    expect(await verifyPassword('hunter22', 'scrypt$0$8$1$AA$AA')).toBe(false);
  });

  it('parses durations with a unit and caps them at a year', () => {
    expect(durationMs('30s')).toBe(30_000);
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs('1h')).toBe(3_600_000);
    expect(durationMs('7d')).toBe(604_800_000);
    expect(durationMs('999999d')).toBe(365 * 86_400_000);
    expect(() => durationMs('1y')).toThrow(/not a duration/);
  });

  it('normalises domain names and says what is wrong with bad ones', () => {
    expect(normaliseDomain('Ads.Example.COM.')).toEqual({ name: 'ads.example.com' });
    expect(normaliseDomain('*.example.com')).toEqual({ name: 'example.com' });
    expect(normaliseDomain('bücher.example')).toEqual({ name: 'xn--bcher-kva.example' });
    expect(normaliseDomain('a..b')).toEqual({ problem: '"a..b" has an empty label' });
    expect(normaliseDomain(`${'a'.repeat(64)}.com`)).toMatchObject({
      problem: expect.stringMatching(/longer than 63/),
    });
    expect(normaliseDomain('-bad.com')).toMatchObject({ problem: expect.stringMatching(/label "-bad"/) });
    expect(normaliseDomain('')).toEqual({ problem: 'is empty' });
  });

  it('turns schema errors into one sentence naming the field', () => {
    const error = formatValidationErrors(
      [
        {
          keyword: 'type',
          instancePath: '/dns/upstreams/2',
          schemaPath: '',
          params: { type: 'string' },
          message: 'x',
        },
      ],
      'body',
    );
    expect(error.message).toBe('body.dns.upstreams[2]: must be of type string');
    const union = formatValidationErrors(
      [
        { keyword: 'type', instancePath: '/name', schemaPath: '', params: { type: 'string' }, message: 'x' },
        { keyword: 'type', instancePath: '/name', schemaPath: '', params: { type: 'null' }, message: 'x' },
        { keyword: 'anyOf', instancePath: '/name', schemaPath: '', params: {}, message: 'x' },
      ],
      'body',
    );
    expect(union.message).toBe('body.name: must be of type string or null');
    const required = formatValidationErrors(
      [
        {
          keyword: 'required',
          instancePath: '',
          schemaPath: '',
          params: { requiredProperties: ['action'] },
          message: 'x',
        },
      ],
      'body',
    );
    expect(required.message).toBe('body: "action" is required');
  });

  it('validates settings changes with the config loader rules', () => {
    const config = defaultConfig();
    expect(validateChanges(config, { 'dns.blocking.ttl': 10 }).dns.blocking.ttl).toBe(10);
    expect(() => validateChanges(config, { 'dns.cache.minTtl': 100, 'dns.cache.maxTtl': 50 })).toThrow(
      /dns\.cache\.minTtl: 100 is larger than dns\.cache\.maxTtl/,
    );
    expect(flatten({ a: { b: 1, c: [1, 2] }, d: 'x' })).toEqual({ 'a.b': 1, 'a.c': [1, 2], d: 'x' });
  });

  it('names query types both ways', () => {
    expect(qtypeName(65)).toBe('HTTPS');
    expect(qtypeName(999)).toBe('TYPE999');
    expect(qtypeCode('aaaa')).toBe(28);
    expect(qtypeCode('TYPE64')).toBe(64);
    expect(qtypeCode('nope')).toBeUndefined();
  });
});
