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
    const base = { settings: { x: 1 }, clientIds: [] };
    const local = { settings: { x: 2 }, clientIds: [{ clientId: 'kid', deviceId: 7, createdAt: 1 }] };
    const theirs = { settings: { x: 3 }, clientIds: [{ clientId: 'kid', deviceId: 9, createdAt: 2 }] };
    const merged = mergeConfig(base, local, theirs);
    expect(merged.data.settings).toEqual({ x: 2 });
    expect(merged.data.clientIds).toEqual([{ clientId: 'kid', deviceId: 9, createdAt: 2 }]);
    expect(merged.lost).toEqual(['clientIds c:kid']);
  });

  it('groups, lists and people added under one number on both sides are all kept, with what names them', () => {
    const group = (id: number, name: string) => ({ id, name, description: '' });
    const list = (id: number, source: string, groupIds: number[]) => ({
      id,
      source,
      assignments: groupIds.map((groupId) => ({ groupId, deviceId: null })),
    });
    const person = (id: number, name: string, groupId: number | null) => ({
      id,
      name,
      groupId,
      deviceIds: [],
    });
    const device = (id: number, groupIds: number[]) => ({ id, groupIds });
    const base = {
      groups: [group(1, 'Adults')],
      lists: [list(1, 'https://a.example/list', [])],
      people: [],
      devices: [device(5, [1]), device(6, [])],
      rules: [{ ...rule(1, 'a.example'), groupId: 1 }],
    };
    const local = {
      groups: [group(1, 'Adults'), group(2, 'Kids')],
      lists: [list(1, 'https://a.example/list', [2]), list(2, 'https://ours.example/list', [2])],
      people: [person(1, 'Anna', 2)],
      devices: [device(5, [1, 2]), device(6, [])],
      rules: [
        { ...rule(1, 'a.example'), groupId: 1 },
        { ...rule(2, 'kids.example'), groupId: 2 },
      ],
    };
    const theirs = {
      groups: [group(1, 'Adults'), group(2, 'Guests')],
      lists: [list(1, 'https://a.example/list', []), list(2, 'https://theirs.example/list', [])],
      people: [person(1, 'Ben', 2)],
      devices: [device(5, [1]), device(6, [2])],
      rules: [{ ...rule(1, 'a.example'), groupId: 1 }],
    };
    const merged = mergeConfig(base, local, theirs);
    expect(merged.data.groups).toEqual([group(1, 'Adults'), group(2, 'Guests'), group(3, 'Kids')]);
    expect(merged.data.lists).toEqual([
      list(1, 'https://a.example/list', [3]),
      list(2, 'https://theirs.example/list', []),
      list(3, 'https://ours.example/list', [3]),
    ]);
    expect(merged.data.people).toEqual([person(1, 'Ben', 2), person(2, 'Anna', 3)]);
    expect(merged.data.devices).toEqual([device(5, [1, 3]), device(6, [2])]);
    expect(merged.data.rules).toEqual([
      { ...rule(1, 'a.example'), groupId: 1 },
      { ...rule(2, 'kids.example'), groupId: 3 },
    ]);
    expect(merged.renumbered).toEqual(['groups #2 → #3', 'lists #2 → #3', 'people #1 → #2']);
    expect(merged.lost).toEqual([]);
  });

  it('a group and a person with the same name, or a list with the same address, added on both are one row with what either gave it', () => {
    const group = (id: number, name: string, description = '') => ({ id, name, description });
    const list = (id: number, source: string, groupIds: number[]) => ({
      id,
      source,
      assignments: groupIds.map((groupId) => ({ groupId, deviceId: null })),
    });
    const person = (id: number, name: string, groupId: number | null, deviceIds: number[]) => ({
      id,
      name,
      groupId,
      deviceIds,
    });
    const device = (id: number, groupIds: number[]) => ({ id, groupIds });
    const base = {
      groups: [group(1, 'Adults')],
      lists: [list(1, 'https://a.example/list', [])],
      people: [person(1, 'Carl', 1, [])],
      devices: [device(5, []), device(6, []), device(7, [])],
      rules: [],
    };
    // Here: "Kids" (#2) with device 5, the Kids list and a rule; "Teens" (#3); "Anna" owns device 5.
    const local = {
      groups: [group(1, 'Adults'), group(2, 'Kids', 'under 12'), group(3, 'Teens')],
      lists: [list(1, 'https://a.example/list', []), list(2, 'https://kids.example/list', [2])],
      people: [person(1, 'Carl', 1, []), person(2, 'Anna', 2, [5])],
      devices: [device(5, [2]), device(6, [3]), device(7, [])],
      rules: [{ ...rule(1, 'games.example'), groupId: 2 }],
    };
    // There, at the same moment: "kids" (#3, another case) with device 7, the same list (#2, for "kids"), "anna" owning device 7.
    const theirs = {
      groups: [group(1, 'Adults'), group(3, 'kids')],
      lists: [list(1, 'https://a.example/list', []), list(2, 'https://kids.example/list', [3])],
      people: [person(1, 'Carl', 1, []), person(3, 'anna', 3, [7])],
      devices: [device(5, []), device(6, []), device(7, [3])],
      rules: [],
    };
    const merged = mergeConfig(base, local, theirs);
    // One Kids group (their number; this replica's description), Teens renumbered past it.
    expect(merged.data.groups).toEqual([group(1, 'Adults'), group(3, 'Kids', 'under 12'), group(4, 'Teens')]);
    // One list for the address, given to the one Kids group.
    expect(merged.data.lists).toEqual([
      list(1, 'https://a.example/list', []),
      list(2, 'https://kids.example/list', [3]),
    ]);
    // One Anna, with the devices either gave her.
    expect(merged.data.people).toEqual([person(1, 'Carl', 1, []), person(3, 'Anna', 3, [7, 5])]);
    expect(merged.data.devices).toEqual([device(5, [3]), device(6, [4]), device(7, [3])]);
    expect(merged.data.rules).toEqual([{ ...rule(1, 'games.example'), groupId: 3 }]);
    expect(merged.joined).toEqual(['groups "kids" #2 → #3', 'people "anna" #2 → #3']);
    expect(merged.renumbered).toEqual(['groups #3 → #4']);
    expect(merged.lost).toEqual([]);
  });

  it('a row that only comes back with its keys in another order (PostgreSQL jsonb) is not a change', () => {
    const base = { rules: [{ pattern: 'a.example', id: 1, action: 'deny', comment: '' }] };
    const local = { rules: [rule(1, 'a.example')] };
    const theirs = { rules: [] };
    // Deleted there, untouched here (only reordered): deleted.
    expect(mergeConfig(base, local, theirs).data.rules).toEqual([]);
  });

  it('a device deleted there whose last use moved here is deleted (times are not a change)', () => {
    const device = (id: number, lastSeen: number) => ({ id, name: null, lastSeen, addresses: [] });
    const base = { devices: [device(1, 10), device(2, 10)], deviceAliases: [] };
    const local = { devices: [device(1, 10), device(2, 99)], deviceAliases: [] };
    const theirs = { devices: [device(1, 10)], deviceAliases: [{ oldId: 2, deviceId: 1, mergedAt: 5 }] };
    const merged = mergeConfig(base, local, theirs).data;
    expect(merged.devices).toEqual([device(1, 10)]);
    expect(merged.deviceAliases).toEqual([{ oldId: 2, deviceId: 1, mergedAt: 5 }]);
  });
});
