/**
 * A DNS worker's policy is built only from what PolicyFeed sends it (dns/workers/policy-feed.ts): the
 * snapshot when it starts, every change after. Here the messages cross a structured clone, as postMessage
 * does, and the worker's engine must decide like the main thread's: lists, catalog attribution, user rules,
 * pauses, and a matcher rebuilt after a list change.
 */
import { describe, expect, it } from 'vitest';
import { PolicyFeed, applyPolicyCall, type PolicyCall } from '../../../../server/dns/workers/policy-feed.js';
import { buildMatcher } from '../../../../server/filter/matcher.js';
import { PolicyEngine } from '../../../../server/filter/policy-engine.js';
import { VerdictAction } from '../../../../server/filter/verdict.js';
import { loadCatalog } from '../../../../server/trackers/catalog.js';
import { decide, listInput } from '../../filter/helpers.js';

function workerFrom(feed: PolicyFeed): PolicyEngine {
  const worker = new PolicyEngine();
  for (const call of structuredClone(feed.snapshot())) applyPolicyCall(worker, call);
  feed.subscribe((call: PolicyCall) => applyPolicyCall(worker, structuredClone(call)));
  return worker;
}

/** The fields of a verdict a query's answer and log row depend on. */
function verdictOf(engine: PolicyEngine, name: string) {
  const { action, reason, listId, ruleId, companyId, kind } = decide(engine, name);
  return { action, reason, listId, ruleId, companyId, kind };
}

describe('PolicyFeed: a worker thread decides like the main thread', () => {
  const catalog = loadCatalog();
  const names = [
    'ads.feed.test',
    'www.feed.test',
    'ct.pinterest.com',
    'connect.facebook.net',
    'late.feed.test',
  ];

  it('from the snapshot taken after the main engine was set up', () => {
    const main = new PolicyEngine({ attribution: catalog.attribution() });
    const feed = new PolicyFeed(main, catalog.attribution());
    main.setLists(buildMatcher([listInput(7, '0.0.0.0 ads.feed.test\n||late.feed.test^$important\n')]));
    main.setUserRules([
      {
        id: 3,
        action: 'allow',
        match: 'exact',
        pattern: 'ads.feed.test',
        deviceId: 5,
        groupId: null,
        expiresAt: null,
      },
    ]);
    const worker = workerFrom(feed);
    for (const name of names) expect(verdictOf(worker, name), name).toEqual(verdictOf(main, name));
    expect(verdictOf(worker, 'ads.feed.test').action).toBe(VerdictAction.block);
    // The catalog's attribution crossed as columns: the worker names the company too.
    expect(verdictOf(worker, 'ct.pinterest.com').companyId).toBeGreaterThan(0);
  });

  it('and after every later change', () => {
    const main = new PolicyEngine({ attribution: catalog.attribution() });
    const feed = new PolicyFeed(main, catalog.attribution());
    const worker = workerFrom(feed);
    expect(verdictOf(worker, 'www.feed.test').action).not.toBe(VerdictAction.block);

    main.setUserRules([
      {
        id: 9,
        action: 'deny',
        match: 'subdomain',
        pattern: 'www.feed.test',
        deviceId: null,
        groupId: null,
        expiresAt: null,
      },
    ]);
    main.setLists(buildMatcher([listInput(8, '0.0.0.0 late.feed.test\n')]));
    for (const name of names) expect(verdictOf(worker, name), name).toEqual(verdictOf(main, name));
    expect(verdictOf(worker, 'www.feed.test')).toMatchObject({ action: VerdictAction.block, ruleId: 9 });
    expect(verdictOf(worker, 'late.feed.test')).toMatchObject({ action: VerdictAction.block, listId: 8 });

    main.setPauses(Date.now() + 60_000, new Map());
    expect(verdictOf(worker, 'late.feed.test')).toEqual(verdictOf(main, 'late.feed.test'));
    expect(verdictOf(worker, 'late.feed.test').action).not.toBe(VerdictAction.block);
  });

  it('sends the list matcher as its inputs and one shared copy of its table, which the worker adopts', () => {
    const main = new PolicyEngine();
    const feed = new PolicyFeed(main, catalog.attribution());
    const sent: PolicyCall[] = [];
    feed.subscribe((call) => sent.push(structuredClone(call)));
    const matcher = buildMatcher([listInput(4, '0.0.0.0 a.feed.test\n0.0.0.0 b.feed.test\n')]);
    main.setLists(matcher);
    const [inputs, table] = sent[0]!.args as [unknown, NonNullable<typeof matcher.table>];
    expect(table.slots.buffer).toBeInstanceOf(SharedArrayBuffer);
    const worker = new PolicyEngine();
    applyPolicyCall(worker, sent[0]!);
    expect(worker.lists.table?.slots.buffer).toBe(table.slots.buffer);
    expect(verdictOf(worker, 'b.feed.test')).toEqual(verdictOf(main, 'b.feed.test'));
    // Every worker reads the same copy; the main thread's own table stays an ordinary ArrayBuffer.
    expect(matcher.table!.slots.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...matcher.table!.slots]).toEqual([...table.slots]);
    // A table from other lists is refused, not misread.
    const big = buildMatcher([
      listInput(6, Array.from({ length: 40 }, (_, i) => `0.0.0.0 n${i}.feed.test`).join('\n')),
    ]);
    expect(() => buildMatcher(inputs as never, big.table)).toThrow(/other lists/);
  });

  it('a refused change reaches no worker', () => {
    const main = new PolicyEngine();
    const feed = new PolicyFeed(main, catalog.attribution());
    const sent: PolicyCall[] = [];
    feed.subscribe((call) => sent.push(call));
    expect(() =>
      main.setUserRules([
        {
          id: 1,
          action: 'deny',
          match: 'regex',
          pattern: '(',
          deviceId: null,
          groupId: null,
          expiresAt: null,
        },
      ]),
    ).toThrow();
    expect(sent).toEqual([]);
  });
});
