/**
 * Rewrite stage: a list rule that answers instead of blocking (`$dnsrewrite`, a hosts line with a real
 * address). The policy stage put the rule's RewriteSet in the verdict; this stage answers with it like a
 * local record (Reason.rewritten, the list and line in the event). A CNAME rewrite asked for another type
 * needs the target's records: the query goes upstream for them (the CNAME alone if that fails).
 */
import { QueryStatus, Reason } from '../../events/query-event.js';
import { VerdictAction } from '../../filter/verdict.js';
import type { RewriteSet } from '../../filter/rewrite.js';
import type { Logger } from '../../logger.js';
import type { PrebuiltAnswer } from '../../dns-codec/answer-writer.js';
import { EdeCode, QType, Rcode } from '../../dns-codec/constants.js';
import { Section, readMessage, readName } from '../../dns-codec/message-reader.js';
import { recursiveQuery } from '../../dns-codec/query-writer.js';
import { QUESTION_NAME_POINTER, encodeName, encodeRecord } from '../../dns-codec/record-encoder.js';
import { rewriteRdata } from '../../dns-codec/rewrite-rdata.js';
import { negativeSoa } from '../sinkhole.js';
import type { UpstreamPool } from '../upstream/types.js';
import { LOCAL_TTL } from './local-records.js';
import {
  NEXT,
  PENDING,
  type QueryContext,
  type Stage,
  type StageResult,
  failSafe,
  servfail,
} from './stage.js';

export class RewriteStage implements Stage {
  private readonly answers = new RewriteAnswers();

  constructor(
    private readonly upstreams: UpstreamPool,
    private readonly logger: Logger,
  ) {}

  run(t: QueryContext): StageResult {
    const set = t.verdict.rewrite;
    if (t.verdict.action !== VerdictAction.rewrite || set === null) return NEXT;
    if (this.answers.needsTarget(set, t.q.qtype)) {
      this.followCname(t.detach(), set);
      return PENDING;
    }
    const r = this.answers.answerFor(set, t.q.qtype);
    return t.finish(t.withRecords(r, EdeCode.none, true), QueryStatus.local, Reason.rewritten, r.rcode);
  }

  /** A CNAME rewrite: the CNAME, then the target's records resolved upstream (the CNAME alone if that fails). */
  private followCname(t: QueryContext, set: RewriteSet): void {
    const done = (packet: Buffer | null): void => {
      const r = this.answers.withTarget(set, t.q.qtype, packet);
      t.reply(t.withRecords(r, EdeCode.none, true), QueryStatus.local, Reason.rewritten, r.rcode);
    };
    this.upstreams
      .resolve(recursiveQuery(set.cname, t.q.qtype), set.cname, t.q.qtype, false)
      .then(
        (answer) => done(answer.packet),
        () => done(null),
      )
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'DNS pipeline failed on a CNAME rewrite');
        // The client still gets an answer (SERVFAIL) rather than waiting for its own timeout.
        if (!t.finished) failSafe(t, this.logger, () => servfail(t));
      });
  }
}

/**
 * Answers for list rewrites: the records of the asked
 * type with LOCAL_TTL, an empty answer with an SOA (so it is cached, RFC 2308) when the rewrite has none
 * of that type, or the rewrite's response code. A CNAME rewrite answers the CNAME record (the client's
 * resolver follows it). Encoded once per rewrite set and question type, then reused.
 */
export class RewriteAnswers {
  private readonly cache = new WeakMap<RewriteSet, Map<number, PrebuiltAnswer>>();
  private readonly nodata: PrebuiltAnswer;
  private readonly nxdomain: PrebuiltAnswer;

  constructor() {
    const soa = negativeSoa(LOCAL_TTL);
    this.nodata = { rcode: Rcode.NOERROR, answer: null, ancount: 0, authority: soa, nscount: 1 };
    this.nxdomain = { ...this.nodata, rcode: Rcode.NXDOMAIN };
  }

  answerFor(set: RewriteSet, qtype: number): PrebuiltAnswer {
    let perType = this.cache.get(set);
    if (perType === undefined) {
      perType = new Map();
      this.cache.set(set, perType);
    }
    let answer = perType.get(qtype);
    if (answer === undefined) {
      answer = this.build(set, qtype);
      perType.set(qtype, answer);
    }
    return answer;
  }

  /** A CNAME rewrite asked for another type: the answer needs the target's records (AdGuard resolves it). */
  needsTarget(set: RewriteSet, qtype: number): boolean {
    return set.cname !== '' && set.rcode === Rcode.NOERROR && qtype !== QType.CNAME && qtype !== QType.ANY;
  }

  /**
   * The CNAME record followed by the target's records from the upstream answer (the CNAME chain and
   * the records of the asked type, names written out uncompressed); the CNAME alone when the upstream
   * answer is missing or unreadable. Built per query: CNAME rewrites go upstream anyway.
   */
  withTarget(set: RewriteSet, qtype: number, upstream: Buffer | null): PrebuiltAnswer {
    const own = encodeRecord(
      QUESTION_NAME_POINTER,
      QType.CNAME,
      LOCAL_TTL,
      rewriteRdata(QType.CNAME, set.cname),
    );
    const out = [own];
    const info = upstream === null ? null : readMessage(upstream);
    if (upstream !== null && info !== null) {
      for (const r of info.records) {
        if (r.section !== Section.answer || (r.type !== qtype && r.type !== QType.CNAME)) continue;
        const owner = readName(upstream, r.nameOffset);
        let rdata: Uint8Array | null = upstream.subarray(r.rdataOffset, r.rdataOffset + r.rdLength);
        if (r.type === QType.CNAME) {
          const target = readName(upstream, r.rdataOffset);
          rdata = target === null ? null : encodeName(target);
        } else if (qtype !== QType.A && qtype !== QType.AAAA && qtype !== QType.TXT) rdata = null; // may hold compressed names
        if (owner === null || rdata === null) continue;
        out.push(encodeRecord(encodeName(owner), r.type, Math.min(r.ttl, LOCAL_TTL), rdata));
      }
    }
    return records(out);
  }

  private build(set: RewriteSet, qtype: number): PrebuiltAnswer {
    if (set.rcode === Rcode.NXDOMAIN) return this.nxdomain;
    if (set.rcode !== Rcode.NOERROR)
      return { rcode: set.rcode, answer: null, ancount: 0, authority: null, nscount: 0 };
    if (set.cname !== '')
      return records([
        encodeRecord(QUESTION_NAME_POINTER, QType.CNAME, LOCAL_TTL, rewriteRdata(QType.CNAME, set.cname)),
      ]);
    const matching = set.records.filter((r) => r.type === qtype);
    if (matching.length === 0) return this.nodata;
    return records(
      matching.map((r) =>
        encodeRecord(QUESTION_NAME_POINTER, r.type, LOCAL_TTL, rewriteRdata(r.type, r.value)),
      ),
    );
  }
}

function records(encoded: Buffer[]): PrebuiltAnswer {
  return {
    rcode: Rcode.NOERROR,
    answer: Buffer.concat(encoded),
    ancount: encoded.length,
    authority: null,
    nscount: 0,
  };
}
