/**
 * Cache stage: a fresh cached answer for the question (name, type, class, DO bit), served with its TTLs
 * counted down. Lists change while answers stay cached, so the CNAME targets of a hit are checked against
 * the policy again (unless an allow rule let the name through). A popular entry close to expiry is
 * refreshed upstream in the background (prefetch: not a client query, so not logged).
 */
import { QueryStatus, Reason } from '../../events/query-event.js';
import { type Policy, VerdictAction, emptyVerdict } from '../../filter/verdict.js';
import { EdeCode } from '../../dns-codec/constants.js';
import { forwardedQuery } from '../../dns-codec/query-writer.js';
import type { DnsCache } from '../cache.js';
import type { DnsStats } from '../stats.js';
import type { UpstreamPool } from '../upstream/types.js';
import { blockCloaked, blockedCnameTarget } from './answer-inspection.js';
import { type LiveDnsSettings, NEXT, type QueryContext, type Stage, type StageResult } from './stage.js';

export class CachedAnswerStage implements Stage {
  private readonly cnameVerdict = emptyVerdict();

  constructor(
    private readonly cache: DnsCache,
    private readonly policy: Policy,
    private readonly upstreams: UpstreamPool,
    private readonly stats: DnsStats,
    private readonly live: LiveDnsSettings,
  ) {}

  run(t: QueryContext): StageResult {
    const q = t.q;
    const nowMs = t.nowMs;
    const entry = this.cache.lookup(q.name, q.qtype, q.qclass, q.ednsDo, nowMs);
    if (entry === null || nowMs >= entry.expiresAtMs) return NEXT;
    const allowed = t.verdict.action === VerdictAction.allow;
    if (!allowed && entry.cnameTargets !== null) {
      const v = this.cnameVerdict;
      const target = blockedCnameTarget(entry.cnameTargets, q.qtype, t.ev.deviceId, this.policy, v);
      if (target !== null) return blockCloaked(t, target, v, this.live.sinkhole);
    }
    const answer = t.fromWire(entry, this.cache.elapsedSeconds(entry, nowMs), -1, EdeCode.none);
    if (this.cache.shouldPrefetch(entry, nowMs)) this.prefetch(t);
    const reason = allowed ? t.verdict.reason : Reason.none;
    return t.finish(answer, QueryStatus.cached, reason, answer[3]! & 0x0f);
  }

  private prefetch(t: QueryContext): void {
    this.stats.prefetches++;
    const { name, qtype, qclass, ednsDo } = t.q;
    const query = forwardedQuery(t.query, t.q, this.live.config.udpPayloadSize);
    this.upstreams.resolve(query, name, qtype, ednsDo).then(
      (answer) => {
        this.cache.store(name, qtype, qclass, ednsDo, answer.packet);
      },
      () => {
        // The entry expires normally and the next query goes upstream (or stale).
      },
    );
  }
}
