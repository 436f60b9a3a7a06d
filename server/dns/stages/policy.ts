/**
 * Policy stage: filtering's verdict on the name for this device (filter/ decides on names, never
 * packets). The verdict's list, rule and attribution go into the event whatever the action; a block ends
 * the query with the sinkhole answer. Allow and rewrite verdicts are acted on by the later stages (an
 * allowed name skips CNAME inspection; a rewrite answers in the rewrite stage).
 */
import { Reason } from '../../events/query-event.js';
import { type Policy, type Verdict, VerdictAction } from '../../filter/verdict.js';
import { NameKind } from '../../trackers/attribution.js';
import { type LiveDnsSettings, NEXT, type QueryContext, type Stage, type StageResult } from './stage.js';

export class PolicyStage implements Stage {
  constructor(
    private readonly policy: Policy,
    private readonly live: LiveDnsSettings,
  ) {}

  run(t: QueryContext): StageResult {
    const verdict = t.verdict;
    const ev = t.ev;
    this.policy.decide(t.q.name, t.q.qtype, ev.deviceId, verdict);
    ev.listId = verdict.listId;
    ev.ruleId = verdict.ruleId;
    ev.companyId = verdict.companyId;
    ev.categoryId = verdict.categoryId;
    ev.appId = verdict.appId;
    ev.kind = kindOf(verdict);
    if (verdict.action === VerdictAction.block) return this.live.sinkhole.block(t, verdict.reason);
    return NEXT;
  }
}

/**
 * What the log counts the name as: attribution's kind, except that a name a blocklist blocks and
 * attribution does not know is taken for a tracker (that is what the lists are for); a user's own deny
 * rule says nothing about what a name is.
 */
export function kindOf(verdict: Verdict): number {
  if (verdict.kind !== NameKind.unknown) return verdict.kind;
  return verdict.action === VerdictAction.block &&
    (verdict.reason === Reason.list || verdict.reason === Reason.catalog)
    ? NameKind.tracker
    : NameKind.unknown;
}
