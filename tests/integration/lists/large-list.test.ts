/**
 * Large lists through the real path (issue 16, 1,000,000 names): bytes parsed in the parser's worker thread,
 * the parse stored in and read back from the parsed-list cache (its arrays as views of the file), the
 * matcher built from each; every look-up answers the same as a parse done in place: exact names, subdomains
 * where the rule covers them, exceptions over blocks, names that are in no list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildMatcher,
  emptyListMatch,
  type ListInput,
  type ListMatcher,
} from '../../../server/filter/matcher.js';
import type { MatchContext } from '../../../server/filter/matcher-types.js';
import { parseList } from '../../../server/filter/parse.js';
import type { ParsedList } from '../../../server/filter/list-types.js';
import { ListParser } from '../../../server/lists/list-parser.js';
import { ParsedListCache } from '../../../server/lists/parsed-cache.js';

const scratch = mkdtempSync(join(tmpdir(), 'tracksink-large-list-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ctx: MatchContext = { deviceId: 0, qtype: 1, groups: undefined, clientAllows: () => true };
const N = 40_000;
const name = (i: number) => `t${i}.c${i % 113}.large.example`;
const hostsText = [
  '# a large hosts list',
  '127.0.0.1 localhost',
  ...Array.from({ length: N }, (_, i) => `0.0.0.0 ${name(i)}`),
].join('\n');
// Every second name as a subdomain rule, every tenth of those an exception.
const adblockText = [
  '! a large adblock list',
  ...Array.from({ length: N / 2 }, (_, k) => (k % 10 === 9 ? `@@||${name(k * 2)}^` : `||${name(k * 2)}^`)),
].join('\n');
const bytes = (text: string) => new TextEncoder().encode(text);

function matcherOf(hosts: ParsedList, adblock: ParsedList): ListMatcher {
  const input = (id: number, parsed: ParsedList): ListInput => ({
    id,
    name: `list ${id}`,
    kind: 'block',
    parsed,
  });
  return buildMatcher([input(1, hosts), input(2, adblock)]);
}

/** [block list, block line, exception list] for each question. */
function answers(matcher: ListMatcher): number[][] {
  const out = emptyListMatch();
  const rows: number[][] = [];
  for (let i = 0; i < N; i++) {
    for (const question of [name(i), `www.${name(i)}`, `t${i}.c${(i % 113) + 1}.large.example`]) {
      matcher.match(question, ctx, out);
      rows.push([out.block, out.block < 0 ? 0 : out.blockLine, out.exception]);
    }
  }
  return rows;
}

describe('a large list through the parser thread, the parsed cache and the matcher', () => {
  it('answers every look-up as a parse in place does, from the thread and from the cache', async () => {
    const hostsBody = bytes(hostsText);
    const adblockBody = bytes(adblockText);
    expect(hostsBody.byteLength).toBeGreaterThan(256 * 1024); // parsed in the worker, not in place
    expect(adblockBody.byteLength).toBeGreaterThan(256 * 1024);
    const expected = answers(
      matcherOf(
        parseList(hostsText, { listId: 1, format: 'auto' }),
        parseList(adblockText, { listId: 2, format: 'auto' }),
      ),
    );
    // What the answers must be, checked on a few names: exact, subdomain, exception, a name in no list.
    const at = (i: number, which: number) => expected[i * 3 + which]!;
    expect(at(7, 0)).toEqual([0, 10, -1]); // hosts: exact name only (line 3 is the first name)
    expect(at(7, 1)).toEqual([-1, 0, -1]);
    expect(at(10, 1)).toEqual([1, 7, -1]); // adblock ||name^ covers subdomains
    expect(at(38, 0)).toEqual([0, 41, 1]); // @@||name^ is an exception beside the hosts block
    expect(at(38, 1)).toEqual([-1, 0, 1]);
    expect(at(8, 2)).toEqual([-1, 0, -1]);

    const cache = new ParsedListCache(join(scratch, 'cache'), 'c'.repeat(64));
    const first = new ListParser({ cache });
    try {
      const hosts = await first.decodeAndParse(hostsBody, false, 1, 'auto');
      const adblock = await first.decodeAndParse(adblockBody, false, 2, 'auto');
      expect(first.workerRunning).toBe(true);
      expect(hosts.parsed.domainCount).toBe(N);
      expect(answers(matcherOf(hosts.parsed, adblock.parsed))).toEqual(expected);
    } finally {
      await first.close();
    }

    const second = new ListParser({ cache });
    try {
      const hosts = await second.decodeAndParse(hostsBody, false, 1, 'auto');
      const adblock = await second.decodeAndParse(adblockBody, false, 2, 'auto');
      expect(second.workerRunning).toBe(false); // from the cache
      expect(hosts.parsed.hashLo.buffer).toBe(hosts.parsed.hashHi.buffer);
      expect(answers(matcherOf(hosts.parsed, adblock.parsed))).toEqual(expected);
    } finally {
      await second.close();
    }
  });
});
