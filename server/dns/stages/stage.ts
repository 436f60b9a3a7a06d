/**
 * The stage contract. A stage is one step of the pipeline (access, rate limit, query checks, device,
 * local records, policy, rewrite, ANY, cache, upstream), one file in this folder, with one call shape:
 *
 *   run(t: QueryContext): StageResult
 *
 * It reads the query from `t` (the raw message, the decoded question, the event being filled, the
 * verdict) and either passes it on (returns NEXT, perhaps after filling fields of `t.ev` or `t.verdict`)
 * or ends it with `t.finish(answer, status, reason, rcode)`, which counts and logs the query exactly once
 * and returns the answer (a Buffer, or null for "send nothing"). A stage that must wait (the upstream)
 * takes `t.detach()`, a copy it may keep, returns PENDING, and later ends the copy with `reply(...)`.
 *
 * `run` is synchronous and, on the paths that answer from memory (rules, local records, cache), allocates
 * nothing but the answer Buffer: the pipeline owns one QueryContext and refills it for every query.
 */
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../logger.js';
import {
  type QueryEvent,
  type QueryLogSink,
  QueryStatus,
  Reason,
  emptyQueryEvent,
} from '../../events/query-event.js';
import { type Verdict, emptyVerdict } from '../../filter/verdict.js';
import {
  type AnswerLimits,
  type PrebuiltAnswer,
  type WireAnswer,
  buildAnswer,
  buildFromWire,
  buildHeaderOnly,
  buildRcodeAnswer,
} from '../../dns-codec/answer-writer.js';
import { EdeCode, Rcode } from '../../dns-codec/constants.js';
import { type ParsedQuery, emptyParsedQuery } from '../../dns-codec/decode-query.js';
import type { Sinkhole } from '../sinkhole.js';
import type { DnsStats } from '../stats.js';

/** Returned when the answer will come later through the responder. */
export const PENDING: unique symbol = Symbol('pending');
/** Returned by a stage that does not answer: the next stage runs. */
export const NEXT: unique symbol = Symbol('next');

/** What the pipeline returns to a transport: the answer, null (send nothing) or PENDING. */
export type HandleResult = Buffer | null | typeof PENDING;
export type StageResult = HandleResult | typeof NEXT;

export interface Stage {
  run(t: QueryContext): StageResult;
}

/** How a transport gets an answer that came later (after PENDING). */
export interface Responder<C> {
  respond(answer: Buffer, ctx: C): void;
}

/** Where every finished query is counted and logged. */
export interface QueryOutcomes {
  stats: DnsStats;
  log: QueryLogSink;
  logger: Logger;
}

const noResponder: Responder<unknown> = { respond() {} };
const EMPTY = Buffer.alloc(0);

/** One query on its way through the stages. */
export class QueryContext {
  /** The message as the client sent it (answers copy its ID and question bytes). */
  query: Buffer = EMPTY;
  readonly q: ParsedQuery = emptyParsedQuery();
  /** The log event, filled as the stages learn things; logged by finish(). */
  readonly ev: QueryEvent = emptyQueryEvent();
  /** The policy's verdict on the name (filled by the policy stage). */
  readonly verdict: Verdict = emptyVerdict();
  /** Size limits for the answer on this transport (UDP: the client's EDNS size). */
  readonly limits: AnswerLimits = { udpPayloadSize: 0, maxSize: 0 };
  /** performance.now() at arrival (for the duration) and wall-clock ms (for the log, the cache). */
  startMs = 0;
  nowMs = 0;
  /** ≥ 0: the device the transport already knows (a ClientID); -1: look it up by address. */
  knownDeviceId = -1;
  responder: Responder<unknown> = noResponder;
  ctx: unknown = null;
  /** Set by finish(): a detached query's failure handler must not log it twice. */
  finished = false;

  constructor(private readonly outcomes: QueryOutcomes) {}

  /** Fills the event's outcome, counts it, logs it once, and passes the answer through. */
  finish(answer: Buffer | null, status: QueryStatus, reason: Reason, rcode: number): Buffer | null {
    const ev = this.ev;
    this.finished = true;
    ev.status = status;
    ev.reason = reason;
    ev.rcode = rcode;
    const durationUs = Math.round((performance.now() - this.startMs) * 1000);
    ev.durationUs = durationUs;
    const outcomes = this.outcomes;
    outcomes.stats.count(status, ev.qtype, durationUs);
    try {
      outcomes.log.record(ev);
    } catch (error) {
      outcomes.logger.error({ err: error }, 'query log sink threw; the query was answered anyway');
    }
    return answer;
  }

  /** finish() for a detached query, then send(). */
  reply(answer: Buffer, status: QueryStatus, reason: Reason, rcode: number): void {
    this.send(this.finish(answer, status, reason, rcode)!);
  }

  /** Hands a detached query's finished answer to the transport. */
  send(answer: Buffer): void {
    this.responder.respond(answer, this.ctx);
  }

  /** A copy to keep across an await (the pipeline's own context is refilled by the next query). */
  detach(): QueryContext {
    const copy = new QueryContext(this.outcomes);
    // A copy: a transport may lend a view of its receive buffer (udp-native.ts), reused by the next batch.
    copy.query = Buffer.from(this.query);
    Object.assign(copy.q, this.q);
    Object.assign(copy.ev, this.ev);
    Object.assign(copy.verdict, this.verdict);
    copy.limits.udpPayloadSize = this.limits.udpPayloadSize;
    copy.limits.maxSize = this.limits.maxSize;
    copy.startMs = this.startMs;
    copy.nowMs = this.nowMs;
    copy.knownDeviceId = this.knownDeviceId;
    copy.responder = this.responder;
    copy.ctx = this.ctx;
    copy.finished = false;
    return copy;
  }

  // Answers to this query (dns-codec/answer-writer.ts does the bytes).

  /** The prepared records (sinkhole, local record, rewrite), with an Extended DNS Error when ede ≥ 0. */
  withRecords(records: PrebuiltAnswer, ede: number, authoritative = false): Buffer {
    return buildAnswer(this.query, this.q, records, ede, this.limits, authoritative);
  }

  /** No records, just a response code (REFUSED, SERVFAIL, BADVERS …). */
  withRcode(rcode: number, ede: number): Buffer {
    return buildRcodeAnswer(this.query, this.q, rcode, ede, this.limits);
  }

  /** A 12-byte header (a question that could not be read, an opcode we do not serve). */
  headerOnly(rcode: number): Buffer {
    return buildHeaderOnly(this.query, rcode);
  }

  /** A stored upstream answer, TTLs counted down by `elapsedSeconds` (or all `fixedTtl` when ≥ 0). */
  fromWire(stored: WireAnswer, elapsedSeconds: number, fixedTtl: number, ede: number): Buffer {
    return buildFromWire(this.query, this.q, stored, elapsedSeconds, fixedTtl, ede, this.limits);
  }
}

/**
 * What reconfigure() replaces under the stages that outlive it (policy, cache, upstream: they hold the
 * cache and the upstream pool). They read it per query, so a query waiting on an upstream finishes with
 * the new settings.
 */
export interface LiveDnsSettings {
  config: Config['dns'];
  sinkhole: Sinkhole;
}

/** A detached query that failed unexpectedly still gets SERVFAIL (logged once), not the client's timeout. */
export function servfail(t: QueryContext): void {
  t.reply(t.withRcode(Rcode.SERVFAIL, EdeCode.none), QueryStatus.error, Reason.none, Rcode.SERVFAIL);
}

/** Runs a detached query's last-resort answer; a failure there is logged, never an unhandled rejection. */
export function failSafe(t: QueryContext, logger: Logger, answer: () => void): void {
  try {
    answer();
  } catch (error) {
    logger.error({ err: error, name: t.q.name }, 'DNS pipeline could not even answer SERVFAIL');
  }
}
