/**
 * Answer-inspection stage, run on upstream answers (and on cache hits for CNAMEs, since lists change):
 * - CNAME cloaking: a first-party name aliasing a tracker. Any CNAME target the policy blocks blocks the
 *   query (Reason.cname, cnameTarget = the blocked target).
 * - DNS rebinding (when enabled): a public name answered with private addresses is blocked.
 * Not a stage of its own: the cache and upstream stages call it on the answer they are about to give.
 */
import { Reason } from '../../events/query-event.js';
import type { Policy, Verdict } from '../../filter/verdict.js';
import { VerdictAction } from '../../filter/verdict.js';
import { NameKind } from '../../trackers/attribution.js';
import { answerAddresses, type MessageInfo } from '../../dns-codec/message-reader.js';
import type { Sinkhole } from '../sinkhole.js';
import { isLocalAddress } from './address-ranges.js';
import type { QueryContext } from './stage.js';

/** Names that legitimately resolve to LAN addresses: never rebinding. */
const LOCAL_SUFFIXES = [
  '.local',
  '.lan',
  '.home',
  '.home.arpa',
  '.internal',
  '.localhost',
  '.localdomain',
  '.arpa',
];

/**
 * Checks the CNAME targets against the policy, writing the blocking verdict (list, rule, attribution of
 * the target) to `verdict`. Returns the blocked target, or null.
 */
export function blockedCnameTarget(
  targets: readonly string[] | null,
  qtype: number,
  deviceId: number,
  policy: Policy,
  verdict: Verdict,
): string | null {
  if (targets === null) return null;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]!;
    policy.decide(target, qtype, deviceId, verdict);
    if (verdict.action === VerdictAction.block) return target;
  }
  return null;
}

/**
 * Ends the query blocked because its CNAME chain reaches `target`, which `verdict` (from
 * blockedCnameTarget) blocks: the event names the target and the rule, and counts a tracking attempt.
 */
export function blockCloaked(t: QueryContext, target: string, verdict: Verdict, sinkhole: Sinkhole): Buffer {
  const ev = t.ev;
  ev.listId = verdict.listId;
  ev.ruleId = verdict.ruleId;
  if (verdict.companyId !== 0) {
    ev.companyId = verdict.companyId;
    ev.categoryId = verdict.categoryId;
    ev.appId = verdict.appId;
  }
  // A tracker hiding behind a first-party name (CNAME cloaking) is a tracking attempt.
  ev.kind = NameKind.tracker;
  ev.cnameTarget = target;
  return sinkhole.block(t, Reason.cname);
}

/** True when a public name's answer holds loopback, private, link-local or ULA addresses. */
export function isRebinding(name: string, message: Uint8Array, info: MessageInfo): boolean {
  if (!name.includes('.')) return false;
  for (const suffix of LOCAL_SUFFIXES) if (name.endsWith(suffix)) return false;
  for (const address of answerAddresses(message, info)) if (isLocalAddress(address)) return true;
  return false;
}
