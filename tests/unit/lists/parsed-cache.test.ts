/**
 * The parsed-list cache (server/lists/parsed-cache.ts): a start with an unchanged list takes its parse from
 * disk instead of the parser thread; the cached parse equals a fresh one in every field; any change of the
 * bytes, the format, the kind of source or the build is a miss; a damaged file is ignored, never trusted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseList } from '../../../server/filter/parse.js';
import { ListParser } from '../../../server/lists/list-parser.js';
import { ParsedListCache, type ParseSource } from '../../../server/lists/parsed-cache.js';

const scratch = mkdtempSync(join(tmpdir(), 'tracksink-parsed-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const BUILD = 'a'.repeat(64);
// Compact rules, slow rules (a regex, $client with an address, $dnstype), an exception and a $badfilter.
const ADBLOCK = [
  '! a list',
  '||ads.example^',
  '||pixel.example^$important',
  '@@||ok.ads.example^',
  '/^track[0-9]+\\.example$/',
  '||phone.example^$client=192.168.1.20',
  '||aaaa.example^$dnstype=AAAA',
  '||pixel.example^$important,badfilter',
  'not a rule ###',
].join('\n');
const body = (text: string) => new TextEncoder().encode(text);

function source(overrides: Partial<ParseSource> = {}): ParseSource {
  return {
    kind: 'download',
    listId: 7,
    format: 'adblock',
    servedAsHtml: false,
    body: body(ADBLOCK),
    ...overrides,
  };
}

describe('parsed-list cache', () => {
  it('gives back a parse equal to a fresh one, typed arrays included', async () => {
    const cache = new ParsedListCache(join(scratch, 'equal'), BUILD);
    const parsed = parseList(ADBLOCK, { listId: 7, format: 'adblock' });
    expect(parsed.slowRules.length).toBeGreaterThan(0);
    expect(parsed.badFilters.length + parsed.badFilterKeys.length).toBeGreaterThan(0);
    const key = cache.key(source());
    await cache.put(7, key, { parsed, blank: false });
    const hit = cache.get(7, key);
    expect(hit).not.toBeNull();
    expect(hit!.parsed).toEqual(parsed);
    expect(hit!.parsed.hashHi).toBeInstanceOf(Uint32Array);
    expect(hit!.blank).toBe(false);
  });

  it("reads a large parse's rule arrays as views of the file's bytes, not copies, and writes them as they are", async () => {
    const cache = new ParsedListCache(join(scratch, 'views'), BUILD);
    const text = Array.from({ length: 50_000 }, (_, i) => `0.0.0.0 n${i}.views.example`).join('\n');
    const parsed = parseList(text, { listId: 9, format: 'hosts' });
    const key = cache.key(source({ listId: 9, body: body(text) }));
    await cache.put(9, key, { parsed, blank: false });
    const file = readFileSync(cache.path(9));
    // The arrays' bytes end the file, in order, exactly as they lay in memory.
    const arrays = Buffer.concat(
      [parsed.hashHi, parsed.hashLo, parsed.meta].map((a) =>
        Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      ),
    );
    expect(file.subarray(file.length - arrays.length).equals(arrays)).toBe(true);
    const hit = cache.get(9, key)!;
    expect(hit.parsed).toEqual(parsed);
    // One buffer (the file's) behind all three: nothing was deserialised into copies.
    expect(hit.parsed.hashLo.buffer).toBe(hit.parsed.hashHi.buffer);
    expect(hit.parsed.meta.buffer).toBe(hit.parsed.hashHi.buffer);
    expect(hit.parsed.hashHi.buffer.byteLength).toBeLessThan(arrays.length + 4096);
  });

  it('misses when the bytes, the format, the kind, the list or the build differ', async () => {
    const dir = join(scratch, 'keys');
    const cache = new ParsedListCache(dir, BUILD);
    const parsed = parseList(ADBLOCK, { listId: 7, format: 'adblock' });
    await cache.put(7, cache.key(source()), { parsed, blank: false });
    expect(cache.get(7, cache.key(source()))).not.toBeNull();
    expect(cache.get(7, cache.key(source({ body: body(`${ADBLOCK}\n||one-more.example^`) })))).toBeNull();
    expect(cache.get(7, cache.key(source({ format: 'auto' })))).toBeNull();
    expect(cache.get(7, cache.key(source({ kind: 'file' })))).toBeNull();
    expect(cache.get(7, cache.key(source({ servedAsHtml: true })))).toBeNull();
    expect(cache.get(8, cache.key(source({ listId: 8 })))).toBeNull();
    const otherBuild = new ParsedListCache(dir, 'b'.repeat(64));
    expect(otherBuild.get(7, otherBuild.key(source()))).toBeNull();
  });

  it('ignores a damaged, truncated or foreign file', async () => {
    const dir = join(scratch, 'damaged');
    const cache = new ParsedListCache(dir, BUILD);
    const parsed = parseList(ADBLOCK, { listId: 7, format: 'adblock' });
    const key = cache.key(source());
    await cache.put(7, key, { parsed, blank: false });
    const good = readFileSync(cache.path(7));
    const flipped = Buffer.from(good);
    flipped[flipped.length - 20]! ^= 0x01;
    writeFileSync(cache.path(7), flipped);
    expect(cache.get(7, key)).toBeNull();
    writeFileSync(cache.path(7), good.subarray(0, good.length - 100));
    expect(cache.get(7, key)).toBeNull();
    writeFileSync(cache.path(7), 'garbage\n\u0000\u0001');
    expect(cache.get(7, key)).toBeNull();
    // Payloads that hash right but are not a parsed list (a header written to match each).
    const { serialize } = await import('node:v8');
    const { createHash } = await import('node:crypto');
    const forged = (rest: Buffer, arrays: Buffer) => {
      const payload = Buffer.concat([rest, arrays]);
      const header = JSON.stringify({
        magic: 'tracksink parsed list v2',
        key,
        payload: createHash('sha256').update(payload).digest('hex'),
        rest: rest.length,
        arrays: rest.length,
      });
      writeFileSync(cache.path(7), Buffer.concat([Buffer.from(`${header}\n`), payload]));
    };
    // Fewer array bytes than its rule count needs; a sound count but no slow rules; a count that is no number.
    forged(serialize({ parsed: { ...parsed, hashHi: undefined }, blank: false }), Buffer.alloc(8));
    expect(cache.get(7, key)).toBeNull();
    const { hashHi: _a, hashLo: _b, meta: _c, ...rest } = parsed;
    forged(
      serialize({ parsed: { ...rest, slowRules: null }, blank: false }),
      Buffer.alloc(parsed.domainCount * 12),
    );
    expect(cache.get(7, key)).toBeNull();
    forged(serialize({ parsed: { ...rest, domainCount: 'x' }, blank: false }), Buffer.alloc(0));
    expect(cache.get(7, key)).toBeNull();
    // A sound file reads, wherever its arrays start (here with no padding: copied when not on 4 bytes).
    const arrays = Buffer.concat(
      [parsed.hashHi, parsed.hashLo, parsed.meta].map((a) =>
        Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      ),
    );
    for (let shift = 0; shift < 4; shift++) {
      forged(
        serialize({
          parsed: { ...rest, ignored: [{ line: 1, text: 'x'.repeat(shift), reason: '' }] },
          blank: false,
        }),
        arrays,
      );
      const read = cache.get(7, key);
      expect(read?.parsed.hashHi).toEqual(parsed.hashHi);
      expect(read?.parsed.meta).toEqual(parsed.meta);
    }
    writeFileSync(cache.path(7), good);
    expect(cache.get(7, key)).not.toBeNull();
  });

  it('the list parser takes an unchanged file from the cache without starting its thread', async () => {
    const dir = join(scratch, 'parser');
    const file = join(scratch, 'hosts.txt');
    writeFileSync(file, Array.from({ length: 3000 }, (_, i) => `0.0.0.0 tracker-${i}.example`).join('\n'));
    const first = new ListParser({ cache: new ParsedListCache(dir, BUILD) });
    let parsed;
    try {
      parsed = await first.parseFile(file, 3, 'auto');
      expect(first.workerRunning).toBe(true);
    } finally {
      await first.close();
    }
    const second = new ListParser({ cache: new ParsedListCache(dir, BUILD) });
    try {
      const again = await second.parseFile(file, 3, 'auto');
      expect(again).toEqual(parsed);
      expect(second.workerRunning).toBe(false);
      // An edited file is parsed again, by the thread.
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n0.0.0.0 one-more.example`);
      expect((await second.parseFile(file, 3, 'auto')).entries).toBe(3001);
      expect(second.workerRunning).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('a downloaded body seen before is not parsed again, blank or not', async () => {
    const parser = new ListParser({ cache: new ParsedListCache(join(scratch, 'bodies'), BUILD) });
    try {
      const big = body(Array.from({ length: 20_000 }, (_, i) => `0.0.0.0 tracker-${i}.example`).join('\n'));
      const first = await parser.decodeAndParse(big, false, 4, 'auto');
      const again = await parser.decodeAndParse(big, false, 4, 'auto');
      expect(again).toEqual(first);
      const blank = body('   \n\n');
      expect((await parser.decodeAndParse(blank, false, 5, 'auto')).blank).toBe(true);
      expect((await parser.decodeAndParse(blank, false, 5, 'auto')).blank).toBe(true);
    } finally {
      await parser.close();
    }
  });
});
