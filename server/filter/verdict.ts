/**
 * The contract between the DNS pipeline and filtering. Filtering knows names, not packets: the pipeline
 * asks `decide(name, qtype, deviceId, out)` and gets a verdict with its reason. To keep the hot path free
 * of allocation the caller owns one Verdict and the policy overwrites every field of it on each call.
 */
import type { Reason } from '../events/query-event.js';
import type { RewriteSet } from './rewrite.js';

export const VerdictAction = {
  /** No rule matched: forward (or answer from cache). */
  none: 0,
  /** Block with the configured sinkhole answer. */
  block: 1,
  /** An allow rule or exception matched: forward, and log as allowed. */
  allow: 2,
  /** Answer locally with `rewrite` (`$dnsrewrite`, a hosts line with a real address). */
  rewrite: 3,
} as const;
export type VerdictAction = (typeof VerdictAction)[keyof typeof VerdictAction];

export interface Verdict {
  action: VerdictAction;
  reason: Reason;
  /** Which list decided (0 for user rules / none). */
  listId: number;
  /** Line number in that list, or the user rule id. */
  ruleId: number;
  /** Attribution of the name, whatever the action (0 = unknown). */
  companyId: number;
  categoryId: number;
  appId: number;
  /** The answer for action `rewrite` (null otherwise). */
  rewrite: RewriteSet | null;
  /** NameKind of the name from attribution (0 unknown, 1 tracker endpoint, 2 service). */
  kind: number;
}

export function emptyVerdict(): Verdict {
  return {
    action: 0,
    reason: 0,
    listId: 0,
    ruleId: 0,
    companyId: 0,
    categoryId: 0,
    appId: 0,
    rewrite: null,
    kind: 0,
  };
}

/** Everything the pipeline needs from filtering. Implementations swap their internals atomically. */
export interface Policy {
  /**
   * Decides for one question, writing every field of `out`. Synchronous, never allocates, never throws.
   * `name` is lower case with no trailing dot. `deviceId` 0 means unknown device (global rules only).
   */
  decide(name: string, qtype: number, deviceId: number, out: Verdict): void;
}
