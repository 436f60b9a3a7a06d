/** PolicyEngine precedence: user rules, company policies, lists, catalog, scopes, expiry, pauses. */
import { describe, expect, it } from 'vitest';
import { Reason } from '../../../server/events/query-event.js';
import { buildMatcher } from '../../../server/filter/matcher.js';
import { PolicyEngine } from '../../../server/filter/policy-engine.js';
import type { UserRule } from '../../../server/filter/policy-engine.js';
import { UserRuleError } from '../../../server/filter/user-rules.js';
import { VerdictAction } from '../../../server/filter/verdict.js';
import type { Attribution, AttributionResult } from '../../../server/trackers/attribution.js';
import { clearAttributionResult } from '../../../server/trackers/attribution.js';
import { decide, engineWith, listInput } from './helpers.js';

const { none: NONE, block: BLOCK, allow: ALLOW } = VerdictAction;

/** Longest-suffix attribution over a small table, as the catalog does. */
function fakeAttribution(
  table: Record<string, Partial<AttributionResult> & { companyId: number }>,
): Attribution {
  return {
    attribute(name: string, out: AttributionResult): boolean {
      clearAttributionResult(out);
      let suffix = name;
      while (true) {
        const hit = table[suffix];
        if (hit) {
          Object.assign(out, { categoryId: 0, appId: 0, tracking: false, dualUse: false }, hit);
          return true;
        }
        const dot = suffix.indexOf('.');
        if (dot === -1) return false;
        suffix = suffix.slice(dot + 1);
      }
    },
  };
}

const META = 10;
const ACME = 20;
const attribution = fakeAttribution({
  'facebook.com': { companyId: META, categoryId: 3, appId: 7 },
  'pixel.facebook.com': { companyId: META, categoryId: 1, appId: 7, tracking: true },
  'graph.facebook.com': { companyId: META, categoryId: 1, appId: 7, tracking: true, dualUse: true },
  'acme.example': { companyId: ACME, categoryId: 2, appId: 0 },
});

function rule(partial: Partial<UserRule> & Pick<UserRule, 'id' | 'action' | 'pattern'>): UserRule {
  return { match: 'subdomain', deviceId: null, groupId: null, expiresAt: null, ...partial };
}

describe('user rules', () => {
  const lists = [listInput(1, '||ads.example^$important\n||tracker.example^', 'adblock')];

  it('an allow rule beats every list, even $important; it reports allowed only when something blocked', () => {
    const engine = engineWith(lists);
    engine.setUserRules([
      rule({ id: 5, action: 'allow', pattern: 'ads.example' }),
      rule({ id: 6, action: 'allow', pattern: 'fine.example' }),
    ]);
    expect(decide(engine, 'x.ads.example')).toMatchObject({
      action: ALLOW,
      reason: Reason.localAllow,
      listId: 0,
      ruleId: 5,
    });
    expect(decide(engine, 'fine.example')).toMatchObject({ action: NONE, reason: Reason.none });
  });

  it('a deny rule blocks; an allow rule beats a deny rule', () => {
    const engine = engineWith(lists);
    engine.setUserRules([
      rule({ id: 1, action: 'deny', pattern: 'bad.example' }),
      rule({ id: 2, action: 'allow', match: 'exact', pattern: 'ok.bad.example' }),
    ]);
    expect(decide(engine, 'bad.example')).toMatchObject({
      action: BLOCK,
      reason: Reason.localDeny,
      ruleId: 1,
    });
    expect(decide(engine, 'x.bad.example')).toMatchObject({ action: BLOCK, ruleId: 1 });
    expect(decide(engine, 'ok.bad.example')).toMatchObject({
      action: ALLOW,
      reason: Reason.localAllow,
      ruleId: 2,
    });
    expect(decide(engine, 'x.ok.bad.example')).toMatchObject({ action: BLOCK, ruleId: 1 });
  });

  it('exact, subdomain and regex rules match as named', () => {
    const engine = engineWith([]);
    engine.setUserRules([
      rule({ id: 1, action: 'deny', match: 'exact', pattern: 'Exact.Example.' }),
      rule({ id: 2, action: 'deny', match: 'subdomain', pattern: 'sub.example' }),
      rule({ id: 3, action: 'deny', match: 'regex', pattern: '^ad[0-9]+\\.' }),
    ]);
    expect(decide(engine, 'exact.example').ruleId).toBe(1);
    expect(decide(engine, 'a.exact.example').action).toBe(NONE);
    expect(decide(engine, 'sub.example').ruleId).toBe(2);
    expect(decide(engine, 'a.sub.example').ruleId).toBe(2);
    expect(decide(engine, 'ad12.anything.net').ruleId).toBe(3);
    expect(decide(engine, 'ads.anything.net').action).toBe(NONE);
  });

  it('a bad rule is a clear error naming the rule, and the previous rules stay', () => {
    const engine = engineWith([]);
    engine.setUserRules([rule({ id: 1, action: 'deny', pattern: 'kept.example' })]);
    expect(() =>
      engine.setUserRules([rule({ id: 9, action: 'deny', match: 'regex', pattern: '(' })]),
    ).toThrow(UserRuleError);
    expect(() => engine.setUserRules([rule({ id: 9, action: 'deny', pattern: 'not a domain' })])).toThrow(
      /user rule 9: "not a domain" is not a domain name/,
    );
    expect(decide(engine, 'kept.example').action).toBe(BLOCK);
  });

  it('timed rules expire by themselves', () => {
    let now = 1_000_000;
    const engine = engineWith(lists, { now: () => now });
    engine.setUserRules([
      rule({ id: 3, action: 'allow', pattern: 'tracker.example', expiresAt: now + 3_600_000 }),
    ]);
    expect(decide(engine, 'tracker.example').action).toBe(ALLOW);
    now += 3_600_000;
    expect(decide(engine, 'tracker.example')).toMatchObject({ action: BLOCK, reason: Reason.list });
  });

  it('device and group scoped rules apply only to those devices', () => {
    const engine = engineWith([]);
    engine.setDeviceGroups(
      new Map([
        [4, [40]],
        [5, [50]],
      ]),
    );
    engine.setUserRules([
      rule({ id: 1, action: 'deny', pattern: 'dev.example', deviceId: 3 }),
      rule({ id: 2, action: 'deny', pattern: 'grp.example', groupId: 40 }),
    ]);
    expect(decide(engine, 'dev.example', 1, 3).action).toBe(BLOCK);
    expect(decide(engine, 'dev.example', 1, 4).action).toBe(NONE);
    expect(decide(engine, 'dev.example', 1, 0).action).toBe(NONE);
    expect(decide(engine, 'grp.example', 1, 4).action).toBe(BLOCK);
    expect(decide(engine, 'grp.example', 1, 5).action).toBe(NONE);
  });
});

describe('scoped lists', () => {
  it('a list assigned to devices or groups applies only to them', () => {
    const engine = engineWith([
      listInput(1, 'global.example', 'domains'),
      listInput(2, 'kids.example', 'domains', { deviceIds: [7] }),
      listInput(3, 'tv.example', 'domains', { groupIds: [30] }),
      listInput(4, '@@||global.example^', 'adblock', { deviceIds: [8] }),
    ]);
    engine.setDeviceGroups(new Map([[9, [30]]]));
    expect(decide(engine, 'global.example', 1, 1).action).toBe(BLOCK);
    expect(decide(engine, 'global.example', 1, 8)).toMatchObject({ action: ALLOW, listId: 4 });
    expect(decide(engine, 'kids.example', 1, 7)).toMatchObject({ action: BLOCK, listId: 2 });
    expect(decide(engine, 'kids.example', 1, 1).action).toBe(NONE);
    expect(decide(engine, 'tv.example', 1, 9)).toMatchObject({ action: BLOCK, listId: 3 });
    expect(decide(engine, 'tv.example', 1, 7).action).toBe(NONE);
  });
});

describe('company policies and the catalog', () => {
  const lists = [listInput(1, '||ads.facebook.com^\n||acme.example^', 'adblock')];

  it('attribution is filled for every name, blocked or not', () => {
    const engine = engineWith(lists, { attribution });
    expect(decide(engine, 'ads.facebook.com')).toMatchObject({
      action: BLOCK,
      companyId: META,
      categoryId: 3,
      appId: 7,
    });
    expect(decide(engine, 'www.facebook.com')).toMatchObject({
      action: NONE,
      companyId: META,
      categoryId: 3,
      appId: 7,
    });
    expect(decide(engine, 'unknown.example')).toMatchObject({ companyId: 0, categoryId: 0, appId: 0 });
  });

  it("'block-tracking' (default): catalog tracking endpoints blocked, dual-use and the rest not", () => {
    const engine = engineWith(lists, { attribution, catalogListId: 99 });
    expect(decide(engine, 'pixel.facebook.com')).toMatchObject({
      action: BLOCK,
      reason: Reason.catalog,
      listId: 99,
    });
    expect(decide(engine, 'graph.facebook.com')).toMatchObject({ action: NONE, companyId: META });
    expect(decide(engine, 'www.facebook.com').action).toBe(NONE);
    engine.setCatalogBlocking(false);
    expect(decide(engine, 'pixel.facebook.com').action).toBe(NONE);
  });

  it("'block-everything' blocks every name of the company", () => {
    const engine = engineWith(lists, { attribution });
    engine.setCompanyPolicies(new Map([[META, 'block-everything']]));
    for (const name of ['www.facebook.com', 'graph.facebook.com', 'facebook.com']) {
      expect(decide(engine, name), name).toMatchObject({
        action: BLOCK,
        reason: Reason.companyPolicy,
        ruleId: META,
      });
    }
  });

  it("'allow' keeps lists and the catalog from blocking the company; user deny still blocks", () => {
    const engine = engineWith(lists, { attribution });
    engine.setCompanyPolicies(
      new Map([
        [ACME, 'allow'],
        [META, 'allow'],
      ]),
    );
    expect(decide(engine, 'acme.example')).toMatchObject({ action: ALLOW, reason: Reason.companyPolicy });
    expect(decide(engine, 'pixel.facebook.com')).toMatchObject({
      action: ALLOW,
      reason: Reason.companyPolicy,
    });
    expect(decide(engine, 'www.facebook.com').action).toBe(NONE);
    engine.setUserRules([rule({ id: 4, action: 'deny', pattern: 'acme.example' })]);
    expect(decide(engine, 'acme.example')).toMatchObject({ action: BLOCK, reason: Reason.localDeny });
  });

  it('a bad company policy is rejected with the company id', () => {
    const engine = engineWith([]);
    expect(() => engine.setCompanyPolicies(new Map([[3, 'maybe' as never]]))).toThrow(
      /company 3: unknown policy "maybe"/,
    );
  });

  it('a catalog list reports reason catalog', () => {
    const engine = engineWith([listInput(5, '||tag.example^', 'adblock', { catalog: true })]);
    expect(decide(engine, 'x.tag.example')).toMatchObject({
      action: BLOCK,
      reason: Reason.catalog,
      listId: 5,
    });
  });
});

describe('pauses', () => {
  it('a global pause turns blocking off until it ends, keeping what would have blocked', () => {
    let now = 5_000;
    const engine = engineWith([listInput(1, 'ads.example', 'domains')], { now: () => now });
    engine.setPauses(now + 60_000, new Map());
    expect(decide(engine, 'ads.example')).toMatchObject({
      action: NONE,
      reason: Reason.paused,
      listId: 1,
      ruleId: 1,
    });
    expect(decide(engine, 'other.example')).toMatchObject({ action: NONE, reason: Reason.none });
    now += 60_000;
    expect(decide(engine, 'ads.example')).toMatchObject({ action: BLOCK, reason: Reason.list });
  });

  it('a device pause affects only that device', () => {
    const now = 5_000;
    const engine = engineWith([listInput(1, 'ads.example', 'domains')], { now: () => now });
    engine.setPauses(null, new Map([[2, now + 1000]]));
    expect(decide(engine, 'ads.example', 1, 2)).toMatchObject({ action: NONE, reason: Reason.paused });
    expect(decide(engine, 'ads.example', 1, 3)).toMatchObject({ action: BLOCK, reason: Reason.list });
  });
});

describe('atomic swap', () => {
  it('a stream of lookups sees either the old or the new matcher, never a mix', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => `host${i}.swap.example`);
    const oldText = names.join('\n');
    const newText = names.map((n) => `||${n}^`).join('\n') + '\n@@||host7.swap.example^';
    const engine = new PolicyEngine();
    engine.setLists(buildMatcher([listInput(1, oldText, 'domains')]));
    let stop = false;
    const seen = new Set<string>();
    const lookups = (async () => {
      const out = {
        action: 0,
        reason: 0,
        listId: 0,
        ruleId: 0,
        companyId: 0,
        categoryId: 0,
        appId: 0,
      } as Parameters<PolicyEngine['decide']>[3];
      let rounds = 0;
      while (!stop && rounds < 2000) {
        // One consistent state per round: every name blocked by list 1, or list 2 with host7 excepted.
        const states = new Set<string>();
        for (const name of names) {
          engine.decide(name, 1, 0, out);
          if (name !== 'host7.swap.example') states.add(`${out.action}:${out.listId}`);
        }
        expect(states.size).toBe(1);
        for (const s of states) seen.add(s);
        rounds++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      // Build beside, then swap one reference.
      const next = buildMatcher([
        listInput(i % 2 === 0 ? 2 : 1, i % 2 === 0 ? newText : oldText, i % 2 === 0 ? 'adblock' : 'domains'),
      ]);
      engine.setLists(next);
    }
    stop = true;
    await lookups;
    expect(seen).toEqual(new Set(['1:1', '1:2']));
    const out = decide(engine, 'host7.swap.example');
    expect([BLOCK, ALLOW]).toContain(out.action);
  });
});
