import { describe, expect, it } from 'vitest';
import {
  coveredBy,
  generateAllowedNames,
  generateBlockedNames,
  readListNames,
  realisticMixLines,
} from '../../../bench/lib/inputs.js';
import { createRandom } from '../../../bench/lib/prng.js';

describe('benchmark inputs', () => {
  it('are the same for the same seed and differ for another', () => {
    expect(generateBlockedNames(500, createRandom(6))).toEqual(generateBlockedNames(500, createRandom(6)));
    expect(generateBlockedNames(500, createRandom(7))).not.toEqual(
      generateBlockedNames(500, createRandom(6)),
    );
  });

  it('generate distinct blocked names and allowed names no blocked entry covers', () => {
    const blocked = generateBlockedNames(5000, createRandom(1));
    expect(new Set(blocked).size).toBe(5000);
    const set = new Set(blocked);
    const allowed = generateAllowedNames(2000, createRandom(2), set);
    expect(allowed.filter((name) => coveredBy(set, name))).toEqual([]);
  });

  it('checks parent domains when deciding a name is covered', () => {
    const set = new Set(['tracker.com']);
    expect(coveredBy(set, 'a.b.tracker.com')).toBe(true);
    expect(coveredBy(set, 'nottracker.com')).toBe(false);
  });

  it('build a home mix whose blocked share is close to the target', () => {
    const random = createRandom(3);
    const blocked = generateBlockedNames(3000, random);
    const set = new Set(blocked);
    const allowed = generateAllowedNames(3000, random, set);
    const recipe = { lines: 20_000, blockedShare: 0.25, distinct: 4000, uniqueShare: 0.02, aaaaShare: 0.3 };
    const lines = realisticMixLines(recipe, blocked, allowed, random, 'u0');
    expect(lines).toHaveLength(20_000);
    const names = lines.map((line) => line.split(' ')[0] as string);
    const blockedShare = names.filter((n) => set.has(n)).length / names.length;
    expect(blockedShare).toBeGreaterThan(0.2);
    expect(blockedShare).toBeLessThan(0.3);
    const unique = names.filter((n) => n.includes('.u0.'));
    expect(new Set(unique).size).toBe(unique.length);
    expect(unique.length).toBeGreaterThan(200);
    expect(lines.every((line) => / (A|AAAA)$/.test(line))).toBe(true);
  });

  it('read names from domains and hosts lists, skipping comments', () => {
    expect(
      readListNames('# c\n0.0.0.0 ads.example.com # x\nTrack.Example.net\n\n127.0.0.1 localhost\n'),
    ).toEqual(['ads.example.com', 'track.example.net']);
  });
});
