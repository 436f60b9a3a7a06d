/**
 * Upstream stage, the last one and the only one that waits: the question goes to the upstream pool and
 * the answer comes back through the transport's responder. The answer is cached, then inspected (unless
 * an allow rule let the name through): a CNAME chain that reaches a blocked name, or (with rebinding
 * protection) a public name answered with private addresses, is blocked instead. When every upstream
 * fails, or answers SERVFAIL/REFUSED, an expired answer is served stale if there is one (RFC 8767);
 * otherwise SERVFAIL with EDE "Network Error".
 */
import { QueryStatus, Reason } from '../../events/query-event.js';
import { type Policy, VerdictAction, emptyVerdict } from '../../filter/verdict.js';
import type { Logger } from '../../logger.js';
import type { DnsCache } from '../cache.js';
import { EdeCode, Rcode } from '../../dns-codec/constants.js';
import { type MessageInfo, cnameTargets, readMessage } from '../../dns-codec/message-reader.js';
import { forwardedQuery } from '../../dns-codec/query-writer.js';
import { toWireAnswer } from '../../dns-codec/wire-answer.js';
import type { UpstreamAnswer, UpstreamPool } from '../upstream/types.js';
import { blockCloaked, blockedCnameTarget, isRebinding } from './answer-inspection.js';
import {
  type LiveDnsSettings,
  PENDING,
  type QueryContext,
  failSafe,
  type Stage,
  type StageResult,
} from './stage.js';

/** RFC 8767 §4: stale answers carry a TTL of 30 s. */
const STALE_TTL = 30;

export class UpstreamStage implements Stage {
  private readonly cnameVerdict = emptyVerdict();

  constructor(
    private readonly upstreams: UpstreamPool,
    private readonly cache: DnsCache,
    private readonly policy: Policy,
    private readonly live: LiveDnsSettings,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  run(pending: QueryContext): StageResult {
    // The slow path: everything needed later is copied, the pipeline's context serves the next query.
    const t = pending.detach();
    const q = t.q;
    this.upstreams
      .resolve(forwardedQuery(t.query, q, this.live.config.udpPayloadSize), q.name, q.qtype, q.ednsDo)
      .then(
        (answer) => this.onAnswer(t, answer),
        (error: unknown) => this.onFailure(t, error),
      )
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'DNS pipeline failed on an upstream answer');
        // The client still gets an answer (stale or SERVFAIL) rather than waiting for its own timeout.
        if (!t.finished) failSafe(t, this.logger, () => this.onFailure(t, error));
      });
    return PENDING;
  }

  private onAnswer(t: QueryContext, upstream: UpstreamAnswer): void {
    const q = t.q;
    t.ev.upstreamId = upstream.upstreamId;
    const message = upstream.packet;
    const info = readMessage(message);
    if (info === null || info.questionEnd !== q.questionEnd) {
      this.onFailure(t, new Error('upstream answer is malformed or for another question'));
      return;
    }
    // An upstream that answers SERVFAIL/REFUSED failed too: a stale answer beats passing that on.
    if ((info.rcode === Rcode.SERVFAIL || info.rcode === Rcode.REFUSED) && this.stale(t) !== null) {
      this.onFailure(t, new Error(`upstream answered rcode ${info.rcode}`));
      return;
    }
    const entry = this.cache.store(q.name, q.qtype, q.qclass, q.ednsDo, message, info);
    const allowed = t.verdict.action === VerdictAction.allow;
    if (!allowed) {
      const { sinkhole, config } = this.live;
      const targets = entry !== null ? entry.cnameTargets : cnameTargetsOf(message, info);
      const target = blockedCnameTarget(targets, q.qtype, t.ev.deviceId, this.policy, this.cnameVerdict);
      if (target !== null) {
        t.send(blockCloaked(t, target, this.cnameVerdict, sinkhole));
        return;
      }
      if (config.rebindingProtection && isRebinding(q.name, message, info)) {
        t.send(sinkhole.block(t, Reason.rebinding));
        return;
      }
    }
    const answer = t.fromWire(entry ?? toWireAnswer(message, info), 0, -1, EdeCode.none);
    const rcode = answer[3]! & 0x0f;
    if (allowed) t.reply(answer, QueryStatus.allowed, t.verdict.reason, rcode);
    else t.reply(answer, QueryStatus.forwarded, Reason.none, rcode);
  }

  private onFailure(t: QueryContext, error: unknown): void {
    const q = t.q;
    t.ev.upstreamId = 0;
    const stale = this.stale(t);
    if (stale !== null) {
      const answer = t.fromWire(stale, 0, STALE_TTL, EdeCode.staleAnswer);
      t.reply(answer, QueryStatus.stale, Reason.upstreamFailed, answer[3]! & 0x0f);
      return;
    }
    this.logger.debug({ err: error, name: q.name }, 'upstream failed');
    const answer = t.withRcode(Rcode.SERVFAIL, EdeCode.networkError);
    t.reply(answer, QueryStatus.error, Reason.upstreamFailed, Rcode.SERVFAIL);
  }

  /** The cached answer for this question, fresh or expired, when serving stale is on. */
  private stale(t: QueryContext): ReturnType<DnsCache['lookup']> {
    if (!this.live.config.cache.serveStale) return null;
    const q = t.q;
    return this.cache.lookup(q.name, q.qtype, q.qclass, q.ednsDo, this.now());
  }
}

function cnameTargetsOf(message: Buffer, info: MessageInfo): string[] | null {
  const targets = cnameTargets(message, info);
  return targets.length > 0 ? targets : null;
}
