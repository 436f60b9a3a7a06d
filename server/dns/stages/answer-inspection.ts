/**
 * Answer-inspection stage, run on upstream answers (and on cache hits for CNAMEs, since lists change):
 * - CNAME cloaking: a first-party name aliasing a tracker. Any CNAME target the policy blocks blocks the
 *   query (Reason.cname, cnameTarget = the blocked target).
 * - DNS rebinding (when enabled): a public name answered with private addresses is blocked.
 */
import type { Policy, Verdict } from '../../filter/verdict.js';
import { VerdictAction } from '../../filter/verdict.js';
import { answerAddresses, type MessageInfo } from '../codec/message-reader.js';
import { isLocalAddress } from './address-ranges.js';

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

/** True when a public name's answer holds loopback, private, link-local or ULA addresses. */
export function isRebinding(name: string, message: Uint8Array, info: MessageInfo): boolean {
  if (!name.includes('.')) return false;
  for (const suffix of LOCAL_SUFFIXES) if (name.endsWith(suffix)) return false;
  for (const address of answerAddresses(message, info)) if (isLocalAddress(address)) return true;
  return false;
}
