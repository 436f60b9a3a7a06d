/**
 * The query pipeline: access ▶ rate limit ▶ decode checks ▶ device ▶ local records ▶ policy ▶ cache ▶
 * upstream ▶ answer inspection.
 *
 * `handle()` answers synchronously whenever it can (blocked, local, cached, refused, malformed): it
 * returns the answer Buffer, or null for "send nothing". Only a question that must go upstream returns
 * PENDING; the answer then goes to `responder.respond(answer, ctx)`. One QueryEvent is refilled per query
 * and handed to `log.record` exactly once, whatever happens.
 */
import type { Config } from '../config/schema.js';
import type { DeviceResolver } from '../devices/device-resolver.js';
import {
  type Protocol,
  type QueryEvent,
  type QueryLogSink,
  Protocol as Protocols,
  QueryStatus,
  Reason,
  emptyQueryEvent,
} from '../events/query-event.js';
import { type Policy, type Verdict, VerdictAction, emptyVerdict } from '../filter/verdict.js';
import { NameKind } from '../trackers/attribution.js';
import type { Logger } from '../logger.js';
import type { DnsCache } from './cache.js';
import {
  type AnswerLimits,
  type WireAnswer,
  buildAnswer,
  buildFromWire,
  buildHeaderOnly,
  buildRcodeAnswer,
  isServedClass,
} from './codec/answer-writer.js';
import {
  CLASSIC_UDP_LIMIT,
  EdeCode,
  FLAG_CD,
  FLAG_RD,
  HEADER_SIZE,
  QType,
  Rcode,
} from './codec/constants.js';
import { DecodeStatus, type ParsedQuery, decodeQuery, emptyParsedQuery } from './codec/decode-query.js';
import { type MessageInfo, cnameTargets, readMessage } from './codec/message-reader.js';
import { encodeRecord, QUESTION_NAME_POINTER, characterString } from './codec/record-encoder.js';
import { toWireAnswer } from './codec/wire-answer.js';
import { type PrebuiltAnswer, Sinkhole } from './sinkhole.js';
import { AccessControl } from './stages/access.js';
import { blockedCnameTarget, isRebinding } from './stages/answer-inspection.js';
import { LocalRecords, RewriteAnswers, targetQuery } from './stages/local-records.js';
import { RateLimiter } from './stages/rate-limit.js';
import { RefusedNetworks } from './stages/refused-networks.js';
import type { DnsStats } from './stats.js';
import type { UpstreamAnswer, UpstreamPool } from './upstream/types.js';

/** Returned by handle() when the answer will come later through the responder. */
export const PENDING: unique symbol = Symbol('pending');
export type HandleResult = Buffer | null | typeof PENDING;

export interface Responder<C> {
  respond(answer: Buffer, ctx: C): void;
}

export interface PipelineDeps {
  config: Config['dns'];
  policy: Policy;
  devices: DeviceResolver;
  log: QueryLogSink;
  upstreams: UpstreamPool;
  logger: Logger;
  stats: DnsStats;
  cache: DnsCache;
  /** Wall clock in ms (tests move it; default Date.now). The cache must use the same clock. */
  now?: () => number;
}

/** RFC 8767 §4: stale answers carry a TTL of 30 s. */
const STALE_TTL = 30;
/** RFC 8482: the small answer to ANY (HINFO "RFC8482" ""), TTL as Cloudflare's is fine. */
const ANY_TTL = 3600;
const STREAM_MAX_SIZE = 65_535;

/** What a forwarded query needs to remember across the upstream await (one object per forwarded query). */
interface Forward<C> {
  query: Buffer;
  q: ParsedQuery;
  timeMs: number;
  startMs: number;
  clientAddress: string;
  deviceId: number;
  protocol: Protocol;
  maxSize: number;
  verdict: Verdict;
  responder: Responder<C>;
  ctx: C;
  /** Set once the answer was logged and handed to the responder. */
  done: boolean;
}

function edeFor(reason: Reason): number {
  return reason === Reason.localDeny || reason === Reason.companyPolicy ? EdeCode.filtered : EdeCode.blocked;
}

export class Pipeline {
  private readonly q = emptyParsedQuery();
  private readonly ev: QueryEvent = emptyQueryEvent();
  private readonly verdict = emptyVerdict();
  private readonly cnameVerdict = emptyVerdict();
  private readonly localOut = { reason: Reason.none as Reason };
  private readonly rewrites = new RewriteAnswers();
  // Stages precomputed from config.dns: replaced together by reconfigure().
  private udpLimits!: AnswerLimits;
  private streamLimits!: AnswerLimits;
  private sinkhole!: Sinkhole;
  private access!: AccessControl;
  private rateLimiter!: RateLimiter;
  private local!: LocalRecords;
  private config!: Config['dns'];
  private readonly anyAnswer: PrebuiltAnswer;
  private readonly stats: DnsStats;
  private readonly cache: DnsCache;
  private readonly now: () => number;
  /** Networks that access control refused (counted off the allowed clients' path; logged once each). */
  readonly refused: RefusedNetworks;

  constructor(private readonly deps: PipelineDeps) {
    this.now = deps.now ?? Date.now;
    this.refused = new RefusedNetworks(deps.logger);
    this.stats = deps.stats;
    this.cache = deps.cache;
    this.reconfigure(deps.config);
    const hinfo = Buffer.concat([characterString('RFC8482'), characterString('')]);
    this.anyAnswer = {
      rcode: Rcode.NOERROR,
      answer: encodeRecord(QUESTION_NAME_POINTER, QType.HINFO, ANY_TTL, hinfo),
      ancount: 1,
      authority: null,
      nscount: 0,
    };
  }

  /**
   * Applies new DNS settings (blocking answers, access control, canaries, local records, rate limits)
   * without a restart: every stage built from config.dns is rebuilt, built fully before any is swapped
   * in, so a bad value throws here and leaves the running ones as they were. The cache, counters and
   * modules stay; queries waiting on an upstream finish with the new stages.
   */
  reconfigure(config: Config['dns']): void {
    const sinkhole = new Sinkhole(config.blocking);
    const access = new AccessControl(config.access);
    const rateLimiter = new RateLimiter(config.rateLimit);
    const local = new LocalRecords(config);
    this.config = config;
    this.sinkhole = sinkhole;
    this.access = access;
    this.rateLimiter = rateLimiter;
    this.local = local;
    this.udpLimits = { udpPayloadSize: config.udpPayloadSize, maxSize: CLASSIC_UDP_LIMIT };
    this.streamLimits = { udpPayloadSize: config.udpPayloadSize, maxSize: STREAM_MAX_SIZE };
  }

  /** Whether DNS access control lets this address ask (encrypted DNS: may it create a ClientID device). */
  allows(clientAddress: string): boolean {
    return this.access.isAllowed(clientAddress);
  }

  /**
   * Handles one query message. Never throws (a bug is logged and the query answered SERVFAIL or dropped).
   * `knownDeviceId` ≥ 0 is the device the transport already knows (encrypted DNS with a known ClientID,
   * which also passes access control); -1 = look it up by client address.
   */
  handle<C>(
    query: Buffer,
    clientAddress: string,
    protocol: Protocol,
    responder: Responder<C>,
    ctx: C,
    knownDeviceId = -1,
  ): HandleResult {
    const startMs = performance.now();
    const nowMs = this.now();
    const q = this.q;
    const ev = this.ev;
    decodeQuery(query, q);
    ev.timeMs = nowMs;
    ev.clientAddress = clientAddress;
    ev.deviceId = 0;
    ev.name = q.name;
    ev.qtype = q.qtype;
    ev.protocol = protocol;
    ev.listId = 0;
    ev.ruleId = 0;
    ev.companyId = 0;
    ev.categoryId = 0;
    ev.appId = 0;
    ev.kind = NameKind.unknown;
    ev.upstreamId = 0;
    ev.cnameTarget = '';
    const status = q.status;
    const headerReadable = status !== DecodeStatus.shortHeader && status !== DecodeStatus.response;

    // A device named by a known ClientID (encrypted DNS) is allowed from any address: away from home.
    if (knownDeviceId < 0 && !this.access.isAllowed(clientAddress)) {
      this.refused.note(clientAddress, nowMs);
      if (!headerReadable) return this.finish(null, QueryStatus.dropped, Reason.accessDenied, -1, startMs);
      const refused =
        status === DecodeStatus.ok
          ? buildRcodeAnswer(query, q, Rcode.REFUSED, EdeCode.prohibited, this.limitsFor(protocol, q))
          : buildHeaderOnly(query, Rcode.REFUSED);
      return this.finish(refused, QueryStatus.refused, Reason.accessDenied, Rcode.REFUSED, startMs);
    }
    if (!this.rateLimiter.allow(clientAddress, nowMs)) {
      return this.finish(null, QueryStatus.dropped, Reason.rateLimited, -1, startMs);
    }
    if (status !== DecodeStatus.ok) {
      this.stats.malformed[status]!++;
      // A response sent to a server port is spoofing or reflection: never answer it.
      if (!headerReadable) return this.finish(null, QueryStatus.dropped, Reason.malformed, -1, startMs);
      return this.finish(
        buildHeaderOnly(query, Rcode.FORMERR),
        QueryStatus.formerr,
        Reason.malformed,
        Rcode.FORMERR,
        startMs,
      );
    }
    const limits = this.limitsFor(protocol, q);
    if (q.opcode !== 0) {
      return this.finish(
        buildHeaderOnly(query, Rcode.NOTIMP),
        QueryStatus.formerr,
        Reason.malformed,
        Rcode.NOTIMP,
        startMs,
      );
    }
    if (q.hasEdns && q.ednsVersion > 0) {
      // RFC 6891 §6.1.3: unknown EDNS version → BADVERS with our version (0).
      const answer = buildRcodeAnswer(query, q, Rcode.BADVERS, EdeCode.none, limits);
      return this.finish(answer, QueryStatus.formerr, Reason.malformed, Rcode.BADVERS, startMs);
    }
    if (!isServedClass(q.qclass)) {
      const answer = buildRcodeAnswer(query, q, Rcode.REFUSED, EdeCode.none, limits);
      return this.finish(answer, QueryStatus.refused, Reason.none, Rcode.REFUSED, startMs);
    }
    const deviceId = knownDeviceId >= 0 ? knownDeviceId : this.deps.devices.deviceIdFor(clientAddress);
    ev.deviceId = deviceId;

    const local = this.local.lookup(q.name, q.qtype, this.localOut);
    if (local !== null) {
      const answer = buildAnswer(
        query,
        q,
        local.rcode,
        local.answer,
        local.ancount,
        local.authority,
        local.nscount,
        EdeCode.none,
        limits,
        true,
      );
      return this.finish(answer, QueryStatus.local, this.localOut.reason, local.rcode, startMs);
    }

    const verdict = this.verdict;
    this.deps.policy.decide(q.name, q.qtype, deviceId, verdict);
    ev.listId = verdict.listId;
    ev.ruleId = verdict.ruleId;
    ev.companyId = verdict.companyId;
    ev.categoryId = verdict.categoryId;
    ev.appId = verdict.appId;
    ev.kind = kindOf(verdict);
    if (verdict.action === VerdictAction.rewrite && verdict.rewrite !== null) {
      // A list rule answers ($dnsrewrite, a hosts line with an address): a local record with the rule.
      if (this.rewrites.needsTarget(verdict.rewrite, q.qtype)) {
        const f = this.forwardOf(
          query,
          q,
          nowMs,
          startMs,
          clientAddress,
          deviceId,
          protocol,
          limits,
          responder,
          ctx,
        );
        this.followCnameRewrite(f, verdict.rewrite);
        return PENDING;
      }
      const r = this.rewrites.answerFor(verdict.rewrite, q.qtype);
      const answer = buildAnswer(
        query,
        q,
        r.rcode,
        r.answer,
        r.ancount,
        r.authority,
        r.nscount,
        EdeCode.none,
        limits,
        true,
      );
      return this.finish(answer, QueryStatus.local, Reason.rewritten, r.rcode, startMs);
    }
    if (verdict.action === VerdictAction.block) {
      return this.finish(
        this.blockAnswer(query, q, verdict.reason, limits),
        QueryStatus.blocked,
        verdict.reason,
        this.blockRcode(q.qtype),
        startMs,
      );
    }
    if (q.qtype === QType.ANY) {
      const any = this.anyAnswer;
      const answer = buildAnswer(query, q, any.rcode, any.answer, any.ancount, null, 0, EdeCode.none, limits);
      return this.finish(answer, QueryStatus.local, Reason.none, Rcode.NOERROR, startMs);
    }
    const allowed = verdict.action === VerdictAction.allow;
    const forwardReason = allowed ? verdict.reason : Reason.none;

    const entry = this.cache.lookup(q.name, q.qtype, q.qclass, q.ednsDo, nowMs);
    if (entry !== null && nowMs < entry.expiresAtMs) {
      if (!allowed && entry.cnameTargets !== null) {
        const target = blockedCnameTarget(
          entry.cnameTargets,
          q.qtype,
          deviceId,
          this.deps.policy,
          this.cnameVerdict,
        );
        if (target !== null) return this.finishCnameBlock(query, q, target, limits, startMs);
      }
      const answer = buildFromWire(
        query,
        q,
        entry,
        this.cache.elapsedSeconds(entry, nowMs),
        -1,
        EdeCode.none,
        limits,
      );
      if (this.cache.shouldPrefetch(entry, nowMs)) this.prefetch(query, q);
      return this.finish(answer, QueryStatus.cached, forwardReason, answer[3]! & 0x0f, startMs);
    }

    // Upstream: the slow path. Everything needed later is copied into one object.
    const forward = this.forwardOf(
      query,
      q,
      nowMs,
      startMs,
      clientAddress,
      deviceId,
      protocol,
      limits,
      responder,
      ctx,
    );
    this.deps.upstreams
      .resolve(this.upstreamQuery(query, q), q.name, q.qtype, q.ednsDo)
      .then(
        (answer) => this.onUpstreamAnswer(forward, answer),
        (error: unknown) => this.onUpstreamFailure(forward, error),
      )
      .catch((error: unknown) => {
        this.deps.logger.error({ err: error }, 'DNS pipeline failed on an upstream answer');
        // The client still gets an answer (SERVFAIL) rather than waiting for its own timeout.
        if (!forward.done) this.failSafe(forward);
      });
    return PENDING;
  }

  private forwardOf<C>(
    query: Buffer,
    q: ParsedQuery,
    timeMs: number,
    startMs: number,
    clientAddress: string,
    deviceId: number,
    protocol: Protocol,
    limits: AnswerLimits,
    responder: Responder<C>,
    ctx: C,
  ): Forward<C> {
    const verdict = { ...this.verdict };
    const maxSize = limits.maxSize;
    return {
      query,
      q: { ...q },
      timeMs,
      startMs,
      clientAddress,
      deviceId,
      protocol,
      maxSize,
      verdict,
      responder,
      ctx,
      done: false,
    };
  }

  /** A CNAME rewrite: the CNAME, then the target's records resolved upstream (the CNAME alone if that fails). */
  private followCnameRewrite<C>(f: Forward<C>, set: NonNullable<Verdict['rewrite']>): void {
    const done = (packet: Buffer | null): void => {
      this.refillEvent(f);
      const r = this.rewrites.withTarget(set, f.q.qtype, packet);
      const answer = buildAnswer(
        f.query,
        f.q,
        r.rcode,
        r.answer,
        r.ancount,
        null,
        0,
        EdeCode.none,
        this.limitsOf(f),
        true,
      );
      this.reply(f, this.finish(answer, QueryStatus.local, Reason.rewritten, r.rcode, f.startMs)!);
    };
    this.deps.upstreams
      .resolve(targetQuery(set.cname, f.q.qtype), set.cname, f.q.qtype, false)
      .then(
        (answer) => done(answer.packet),
        () => done(null),
      )
      .catch((error: unknown) => {
        this.deps.logger.error({ err: error }, 'DNS pipeline failed on a CNAME rewrite');
        if (!f.done) this.failSafe(f);
      });
  }

  /** The limits for this answer: UDP gets min(client's EDNS size, ours) or 512 without EDNS. */
  private limitsFor(protocol: Protocol, q: ParsedQuery): AnswerLimits {
    if (protocol !== Protocols.udp) return this.streamLimits;
    const limits = this.udpLimits;
    limits.maxSize = q.hasEdns
      ? Math.max(CLASSIC_UDP_LIMIT, Math.min(q.ednsUdpSize, this.config.udpPayloadSize))
      : CLASSIC_UDP_LIMIT;
    return limits;
  }

  private blockRcode(qtype: number): number {
    return this.sinkhole.forType(qtype).rcode;
  }

  private blockAnswer(query: Buffer, q: ParsedQuery, reason: Reason, limits: AnswerLimits): Buffer {
    const s = this.sinkhole.forType(q.qtype);
    return buildAnswer(
      query,
      q,
      s.rcode,
      s.answer,
      s.ancount,
      s.authority,
      s.nscount,
      edeFor(reason),
      limits,
    );
  }

  private finishCnameBlock(
    query: Buffer,
    q: ParsedQuery,
    target: string,
    limits: AnswerLimits,
    startMs: number,
  ): Buffer {
    const v = this.cnameVerdict;
    const ev = this.ev;
    ev.listId = v.listId;
    ev.ruleId = v.ruleId;
    if (v.companyId !== 0) {
      ev.companyId = v.companyId;
      ev.categoryId = v.categoryId;
      ev.appId = v.appId;
    }
    // A tracker hiding behind a first-party name (CNAME cloaking) is a tracking attempt.
    ev.kind = NameKind.tracker;
    ev.cnameTarget = target;
    const answer = this.blockAnswer(query, q, Reason.cname, limits);
    return this.finish(answer, QueryStatus.blocked, Reason.cname, this.blockRcode(q.qtype), startMs)!;
  }

  /** Fills the event's outcome, counts it, logs it once, and passes the answer through. */
  private finish(
    answer: Buffer | null,
    status: QueryStatus,
    reason: Reason,
    rcode: number,
    startMs: number,
  ): Buffer | null {
    const ev = this.ev;
    ev.status = status;
    ev.reason = reason;
    ev.rcode = rcode;
    const durationUs = Math.round((performance.now() - startMs) * 1000);
    ev.durationUs = durationUs;
    this.stats.count(status, ev.qtype, durationUs);
    try {
      this.deps.log.record(ev);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'query log sink threw; the query was answered anyway');
    }
    return answer;
  }

  /**
   * The message sent upstream: the client's ID and question (letter case kept), RD=1, and our own OPT
   * with the client's DO bit, so what gets cached does not depend on which client asked first.
   */
  private upstreamQuery(query: Buffer, q: ParsedQuery): Buffer {
    const qEnd = q.questionEnd;
    const buf = Buffer.allocUnsafe(qEnd + 11);
    query.copy(buf, 0, 0, qEnd);
    const flags = (q.flags & ~(FLAG_CD | 0x8000 | 0x0f)) | FLAG_RD;
    buf[2] = (flags >> 8) & 0xff;
    buf[3] = flags & 0xff;
    buf.fill(0, 6, HEADER_SIZE);
    buf[11] = 1;
    buf[qEnd] = 0;
    buf.writeUInt16BE(QType.OPT, qEnd + 1);
    buf.writeUInt16BE(this.config.udpPayloadSize, qEnd + 3);
    buf.writeUInt32BE(q.ednsDo ? 0x8000 : 0, qEnd + 5);
    buf.writeUInt16BE(0, qEnd + 9);
    return buf;
  }

  private refillEvent<C>(f: Forward<C>): QueryEvent {
    const ev = this.ev;
    ev.timeMs = f.timeMs;
    ev.clientAddress = f.clientAddress;
    ev.deviceId = f.deviceId;
    ev.name = f.q.name;
    ev.qtype = f.q.qtype;
    ev.protocol = f.protocol;
    ev.listId = f.verdict.listId;
    ev.ruleId = f.verdict.ruleId;
    ev.companyId = f.verdict.companyId;
    ev.categoryId = f.verdict.categoryId;
    ev.appId = f.verdict.appId;
    ev.kind = kindOf(f.verdict);
    ev.upstreamId = 0;
    ev.cnameTarget = '';
    return ev;
  }

  private limitsOf<C>(f: Forward<C>): AnswerLimits {
    return { udpPayloadSize: this.config.udpPayloadSize, maxSize: f.maxSize };
  }

  private onUpstreamAnswer<C>(f: Forward<C>, upstream: UpstreamAnswer): void {
    const q = f.q;
    const ev = this.refillEvent(f);
    ev.upstreamId = upstream.upstreamId;
    const message = upstream.packet;
    const info = readMessage(message);
    if (info === null || info.questionEnd !== q.questionEnd) {
      this.onUpstreamFailure(f, new Error('upstream answer is malformed or for another question'));
      return;
    }
    // An upstream that answers SERVFAIL/REFUSED failed too: a stale answer beats passing that on.
    if ((info.rcode === Rcode.SERVFAIL || info.rcode === Rcode.REFUSED) && this.hasStale(q)) {
      this.onUpstreamFailure(f, new Error(`upstream answered rcode ${info.rcode}`));
      return;
    }
    const limits = this.limitsOf(f);
    const allowed = f.verdict.action === VerdictAction.allow;
    if (!allowed) {
      const entry = this.cache.store(q.name, q.qtype, q.qclass, q.ednsDo, message, info);
      const targets = entry !== null ? entry.cnameTargets : null;
      const target = blockedCnameTarget(
        entry !== null ? targets : cnameTargetsOf(message, info),
        q.qtype,
        f.deviceId,
        this.deps.policy,
        this.cnameVerdict,
      );
      if (target !== null) {
        this.reply(f, this.finishCnameBlock(f.query, q, target, limits, f.startMs));
        return;
      }
      if (this.config.rebindingProtection && isRebinding(q.name, message, info)) {
        const answer = this.blockAnswer(f.query, q, Reason.rebinding, limits);
        this.reply(
          f,
          this.finish(answer, QueryStatus.blocked, Reason.rebinding, this.blockRcode(q.qtype), f.startMs)!,
        );
        return;
      }
      const wire: WireAnswer = entry ?? toWireAnswer(message, info);
      const answer = buildFromWire(f.query, q, wire, 0, -1, EdeCode.none, limits);
      this.reply(f, this.finish(answer, QueryStatus.forwarded, Reason.none, answer[3]! & 0x0f, f.startMs)!);
      return;
    }
    const entry = this.cache.store(q.name, q.qtype, q.qclass, q.ednsDo, message, info);
    const answer = buildFromWire(
      f.query,
      q,
      entry ?? toWireAnswer(message, info),
      0,
      -1,
      EdeCode.none,
      limits,
    );
    this.reply(f, this.finish(answer, QueryStatus.allowed, f.verdict.reason, answer[3]! & 0x0f, f.startMs)!);
  }

  private reply<C>(f: Forward<C>, answer: Buffer): void {
    f.done = true;
    f.responder.respond(answer, f.ctx);
  }

  private failSafe<C>(f: Forward<C>): void {
    try {
      this.refillEvent(f);
      const answer = buildRcodeAnswer(f.query, f.q, Rcode.SERVFAIL, EdeCode.none, this.limitsOf(f));
      this.reply(f, this.finish(answer, QueryStatus.error, Reason.none, Rcode.SERVFAIL, f.startMs)!);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'DNS pipeline could not even answer SERVFAIL');
    }
  }

  private hasStale(q: ParsedQuery): boolean {
    return (
      this.config.cache.serveStale &&
      this.cache.lookup(q.name, q.qtype, q.qclass, q.ednsDo, this.now()) !== null
    );
  }

  private onUpstreamFailure<C>(f: Forward<C>, error: unknown): void {
    const q = f.q;
    this.refillEvent(f);
    const limits = this.limitsOf(f);
    const nowMs = this.now();
    const stale = this.config.cache.serveStale
      ? this.cache.lookup(q.name, q.qtype, q.qclass, q.ednsDo, nowMs)
      : null;
    if (stale !== null) {
      const answer = buildFromWire(f.query, q, stale, 0, STALE_TTL, EdeCode.staleAnswer, limits);
      this.reply(
        f,
        this.finish(answer, QueryStatus.stale, Reason.upstreamFailed, answer[3]! & 0x0f, f.startMs)!,
      );
      return;
    }
    this.deps.logger.debug({ err: error, name: q.name }, 'upstream failed');
    const answer = buildRcodeAnswer(f.query, q, Rcode.SERVFAIL, EdeCode.networkError, limits);
    this.reply(f, this.finish(answer, QueryStatus.error, Reason.upstreamFailed, Rcode.SERVFAIL, f.startMs)!);
  }

  /** Refreshes a popular entry shortly before it expires; not a client query, so nothing is logged. */
  private prefetch(query: Buffer, q: ParsedQuery): void {
    this.stats.prefetches++;
    const { name, qtype, qclass, ednsDo } = q;
    this.deps.upstreams.resolve(this.upstreamQuery(query, q), name, qtype, ednsDo).then(
      (answer) => {
        this.cache.store(name, qtype, qclass, ednsDo, answer.packet);
      },
      () => {
        // The entry expires normally and the next query goes upstream (or stale).
      },
    );
  }
}

function cnameTargetsOf(message: Buffer, info: MessageInfo): string[] | null {
  const targets = cnameTargets(message, info);
  return targets.length > 0 ? targets : null;
}

/**
 * What the log counts the name as: attribution's kind, except that a name a blocklist blocks and
 * attribution does not know is taken for a tracker (that is what the lists are for); a user's own deny
 * rule says nothing about what a name is.
 */
function kindOf(verdict: Verdict): number {
  if (verdict.kind !== NameKind.unknown) return verdict.kind;
  return verdict.action === VerdictAction.block &&
    (verdict.reason === Reason.list || verdict.reason === Reason.catalog)
    ? NameKind.tracker
    : NameKind.unknown;
}
