/**
 * The matcher's one-word-per-slot table (matcher.ts): every name of large lists found, none that is not
 * there, the first list winning a tie, `$badfilter` and allow lists as before, and ~6 bytes a rule.
 */
import { describe, expect, it } from 'vitest';
import { buildMatcher, emptyListMatch } from '../../../server/filter/matcher.js';
import type { MatchContext } from '../../../server/filter/matcher.js';
import { listInput } from './helpers.js';

const ctx: MatchContext = { deviceId: 0, qtype: 1, groups: undefined, clientAllows: () => true };
const names = Array.from({ length: 30_000 }, (_, i) => `n${i}.t${i % 97}.example`);

describe('the matcher table', () => {
  it('finds every name of large lists, their subdomains where the rule says so, and nothing else', () => {
    const matcher = buildMatcher([
      listInput(1, names.map((n) => `0.0.0.0 ${n}`).join('\n'), 'hosts'),
      listInput(
        2,
        names
          .filter((_, i) => i % 3 === 0)
          .map((n) => `||${n}^`)
          .join('\n'),
        'adblock',
      ),
    ]);
    expect(matcher.uniqueNames).toBe(30_000);
    const out = emptyListMatch();
    const wrong: string[] = [];
    for (let i = 0; i < names.length; i++) {
      matcher.match(names[i]!, ctx, out);
      // Both lists hold every third name: the first list's rule wins the tie, as with chains.
      if (out.block !== 0 || out.blockLine !== i + 1) wrong.push(names[i]!);
      matcher.match(`x.${names[i]!.toUpperCase()}`, ctx, out);
      if (i % 3 === 0 ? out.block !== 1 || out.blockLine !== i / 3 + 1 : out.block !== -1)
        wrong.push(`x.${names[i]!}`);
      matcher.match(`n${i}.t${(i % 97) + 1}.example`, ctx, out);
      if (out.block !== -1) wrong.push(`n${i}.t${(i % 97) + 1}.example`);
    }
    expect(wrong).toEqual([]);
  });

  it('reports every list that holds a name, in the order chains gave (last list first)', () => {
    const text = names.slice(0, 5000).join('\n');
    const matcher = buildMatcher([
      listInput(1, text, 'domains'),
      listInput(2, `${text}\n${names[42]!}`, 'domains'),
      listInput(3, `||${names[42]!}^`, 'adblock'),
    ]);
    expect(matcher.entries).toBe(10_002);
    expect(matcher.uniqueNames).toBe(5000);
    const hits = matcher.collect(names[42]!, ctx).map((h) => [h.listId, h.line]);
    expect(hits).toEqual([
      [3, 1],
      [2, 5001],
      [2, 43],
      [1, 43],
    ]);
  });

  it('an allow list and a $badfilter act on names stored among many others', () => {
    const matcher = buildMatcher([
      listInput(1, names.map((n) => `||${n}^`).join('\n'), 'adblock'),
      { ...listInput(2, `${names[7]!}\n${names[29_999]!}`, 'domains'), kind: 'allow' },
      listInput(3, `||${names[8]!}^$badfilter`, 'adblock'),
    ]);
    const out = emptyListMatch();
    matcher.match(names[7]!, ctx, out);
    expect([out.block, out.exception]).toEqual([0, 1]);
    matcher.match(`a.${names[29_999]!}`, ctx, out);
    expect([out.block, out.exception]).toEqual([0, -1]);
    matcher.match(names[8]!, ctx, out);
    expect(out.block).toBe(-1);
    matcher.match(names[9]!, ctx, out);
    expect(out.block).toBe(0);
  });

  it('costs one 32-bit word per slot, at most ~6.2 bytes a rule, and nothing per rule beside it', () => {
    const matcher = buildMatcher([listInput(1, names.join('\n'), 'domains')]);
    const table = matcher.table!;
    const bytes = Object.values(table).reduce(
      (sum: number, value) => sum + ((value as { byteLength?: number }).byteLength ?? 0),
      0,
    );
    expect(bytes).toBe(table.slots.byteLength);
    expect(bytes / names.length).toBeLessThan(6.2);
    expect(table.total).toBe(names.length);
  });
});
