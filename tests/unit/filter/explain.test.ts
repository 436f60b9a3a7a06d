/** explain(): every matching rule and list, the winner and why, and the company. */
import { describe, expect, it } from 'vitest';
import { Reason } from '../../../server/events/query-event.js';
import { VerdictAction } from '../../../server/filter/verdict.js';
import type { Attribution, AttributionResult } from '../../../server/trackers/attribution.js';
import { clearAttributionResult } from '../../../server/trackers/attribution.js';
import { decide, engineWith, listInput } from './helpers.js';

const attribution: Attribution = {
  attribute(name: string, out: AttributionResult): boolean {
    clearAttributionResult(out);
    if (name !== 'tracker.example' && !name.endsWith('.tracker.example')) return false;
    Object.assign(out, { companyId: 4, categoryId: 2, appId: 9, tracking: true, dualUse: false });
    return true;
  },
};

describe('explain', () => {
  const blockText = '! list\n||tracker.example^\n||cdn.tracker.example^$important';
  const allowText = '@@||cdn.tracker.example^';
  const texts: Record<number, string[]> = { 1: blockText.split('\n'), 2: allowText.split('\n') };
  const lineText = (listId: number, line: number): string | undefined => texts[listId]?.[line - 1];

  function engine() {
    const e = engineWith(
      [
        listInput(1, blockText, 'adblock', { name: 'Blocky' }),
        listInput(2, allowText, 'adblock', { name: 'Allowy', deviceIds: [3] }),
      ],
      { attribution, catalogListId: 50 },
    );
    e.setUserRules([
      {
        id: 11,
        action: 'deny',
        match: 'exact',
        pattern: 'other.example',
        deviceId: null,
        groupId: null,
        expiresAt: null,
      },
      {
        id: 12,
        action: 'allow',
        match: 'subdomain',
        pattern: 'tracker.example',
        deviceId: 8,
        groupId: null,
        expiresAt: null,
      },
    ]);
    return e;
  }

  it('lists every matching rule with its text, marks the winner, and gives the company', () => {
    const x = engine().explain('CDN.Tracker.Example.', 0, 1, lineText);
    expect(x.name).toBe('cdn.tracker.example');
    expect(x.action).toBe('block');
    expect(x.reason).toBe('list');
    expect(x.winner).toMatchObject({
      source: 'list',
      listId: 1,
      listName: 'Blocky',
      line: 3,
      important: true,
      text: '||cdn.tracker.example^$important',
    });
    const summary = x.matches.map((m) => [
      m.source,
      m.listId,
      m.line,
      m.ruleId,
      m.effect,
      m.applies,
      m.winner,
    ]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['user-rule', 0, 0, 12, 'allow', false, false],
        ['list', 1, 2, 0, 'block', true, false],
        ['list', 1, 3, 0, 'block', true, true],
        ['list', 2, 1, 0, 'allow', false, false],
        ['catalog', 50, 0, 0, 'block', true, false],
      ]),
    );
    expect(x.matches).toHaveLength(5);
    expect(x.company).toEqual({
      companyId: 4,
      categoryId: 2,
      appId: 9,
      tracking: true,
      dualUse: false,
      policy: 'block-tracking',
    });
    expect(x.why).toContain('Blocky, line 3');
  });

  it('agrees with decide() for every device, including scoped rules', () => {
    const e = engine();
    for (const [device, reason] of [
      [0, Reason.list],
      [8, Reason.localAllow],
    ] as const) {
      const x = e.explain('cdn.tracker.example', device);
      const v = decide(e, 'cdn.tracker.example', 1, device);
      expect(v.reason).toBe(reason);
      expect(x.reason).toBe(
        Object.entries(Reason)
          .find(([, n]) => n === v.reason)![0]
          .replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()),
      );
      expect(x.listId).toBe(v.listId);
      expect(x.ruleId).toBe(v.ruleId);
    }
    const allowed = e.explain('cdn.tracker.example', 8);
    expect(allowed.winner).toMatchObject({ source: 'user-rule', ruleId: 12, applies: true });
    expect(allowed.action).toBe('allow');
  });

  it('says when nothing matches, and for a user deny rule', () => {
    const e = engine();
    const none = e.explain('nothing.example');
    expect(none).toMatchObject({ action: 'none', reason: 'none', winner: null, matches: [], company: null });
    expect(none.why).toBe('Not blocked: no rule or list matches it.');
    const deny = e.explain('other.example');
    expect(deny.winner).toMatchObject({ source: 'user-rule', ruleId: 11, effect: 'block' });
    expect(deny.action).toBe('block');
    expect(decide(e, 'other.example').action).toBe(VerdictAction.block);
  });

  it('shows the rule that would block during a pause', () => {
    const e = engine();
    e.setPauses(Date.now() + 60_000, new Map());
    const x = e.explain('tracker.example', 0, 1, lineText);
    expect(x).toMatchObject({ action: 'none', reason: 'paused', paused: true });
    expect(x.winner).toMatchObject({ listId: 1, line: 2, text: '||tracker.example^' });
  });
});
