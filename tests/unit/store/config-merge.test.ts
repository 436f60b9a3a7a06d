/**
 * The three-way merge replicas use when two changes to the shared configuration meet
 * (store/pg/config-merge.ts): changes to different things both survive, colliding new rule numbers are
 * renumbered, and a value changed on both sides keeps this replica's change.
 */
import { describe, expect, it } from 'vitest';
import { mergeConfig } from '../../../server/store/pg/config-merge.js';

const rule = (id: number, pattern: string) => ({ id, action: 'deny', pattern, comment: '' });

describe('mergeConfig', () => {
  it('keeps both when each side added a rule under the same number: ours is renumbered', () => {
    const base = { rules: [rule(1, 'a.example')] };
    const local = { rules: [rule(1, 'a.example'), rule(2, 'ours.example')] };
    const theirs = { rules: [rule(1, 'a.example'), rule(2, 'theirs.example')] };
    const merged = mergeConfig(base, local, theirs);
    expect(merged.data.rules).toEqual([
      rule(1, 'a.example'),
      rule(2, 'theirs.example'),
      rule(3, 'ours.example'),
    ]);
    expect(merged.renumbered).toEqual(['rules #2 → #3']);
    expect(merged.lost).toEqual([]);
  });

  it('changes to different rows, fields, settings and set members all survive', () => {
    const device = (id: number, name: string | null, groupIds: number[]) => ({ id, name, groupIds });
    const base = {
      settings: { 'dns.a': 1, 'dns.b': 2 },
      devices: [device(5, null, [1]), device(1048577, null, [])],
      rules: [rule(1, 'a.example'), rule(2, 'b.example')],
    };
    const local = {
      settings: { 'dns.a': 10, 'dns.b': 2 },
      devices: [device(5, 'kitchen', [1, 2]), device(1048577, null, []), device(2097153, null, [])],
      rules: [rule(1, 'a.example'), { ...rule(2, 'b.example'), comment: 'ours' }],
    };
    const theirs = {
      settings: { 'dns.a': 1, 'dns.b': 20, 'dns.c': 3 },
      devices: [device(5, null, [1, 3]), device(1048577, 'tv', []), device(1048578, null, [])],
      rules: [rule(2, 'b.example')],
    };
    const merged = mergeConfig(base, local, theirs).data;
    expect(merged.settings).toEqual({ 'dns.a': 10, 'dns.b': 20, 'dns.c': 3 });
    expect(merged.devices).toEqual([
      device(5, 'kitchen', [1, 3, 2]),
      device(1048577, 'tv', []),
      device(1048578, null, []),
      device(2097153, null, []),
    ]);
    // Rule 1 deleted there, rule 2's comment changed here.
    expect(merged.rules).toEqual([{ ...rule(2, 'b.example'), comment: 'ours' }]);
  });

  it('the same field changed on both sides keeps this replica’s value; a row added on both is reported when not renumbered', () => {
    const base = { settings: { x: 1 }, groups: [] };
    const local = { settings: { x: 2 }, groups: [{ id: 4, name: 'Kids', description: '' }] };
    const theirs = { settings: { x: 3 }, groups: [{ id: 4, name: 'Guests', description: '' }] };
    const merged = mergeConfig(base, local, theirs);
    expect(merged.data.settings).toEqual({ x: 2 });
    expect(merged.data.groups).toEqual([{ id: 4, name: 'Guests', description: '' }]);
    expect(merged.lost).toEqual(['groups #4']);
  });

  it('a row that only comes back with its keys in another order (PostgreSQL jsonb) is not a change', () => {
    const base = { rules: [{ pattern: 'a.example', id: 1, action: 'deny', comment: '' }] };
    const local = { rules: [rule(1, 'a.example')] };
    const theirs = { rules: [] };
    // Deleted there, untouched here (only reordered): deleted.
    expect(mergeConfig(base, local, theirs).data.rules).toEqual([]);
  });
});
