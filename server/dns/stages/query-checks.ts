/**
 * Query-checks stage: what the decoder found wrong, and what tracksink does not serve, answered before
 * any lookup. A message that is not a readable query (no header, or a response sent to a server port:
 * spoofing or reflection) is dropped; a malformed question gets FORMERR; an opcode other than QUERY
 * NOTIMP; an EDNS version above 0 BADVERS (RFC 6891 §6.1.3); a class other than IN (or ANY) REFUSED.
 */
import { QueryStatus, Reason } from '../../events/query-event.js';
import { EdeCode, Rcode } from '../../dns-codec/constants.js';
import { isServedClass } from '../../dns-codec/answer-writer.js';
import { DecodeStatus } from '../../dns-codec/decode-query.js';
import type { DnsStats } from '../stats.js';
import { NEXT, type QueryContext, type Stage, type StageResult } from './stage.js';

export class QueryChecks implements Stage {
  constructor(private readonly stats: DnsStats) {}

  run(t: QueryContext): StageResult {
    const q = t.q;
    const status = q.status;
    if (status !== DecodeStatus.ok) {
      this.stats.malformed[status]!++;
      if (status === DecodeStatus.shortHeader || status === DecodeStatus.response) {
        return t.finish(null, QueryStatus.dropped, Reason.malformed, -1);
      }
      return t.finish(t.headerOnly(Rcode.FORMERR), QueryStatus.formerr, Reason.malformed, Rcode.FORMERR);
    }
    if (q.opcode !== 0) {
      return t.finish(t.headerOnly(Rcode.NOTIMP), QueryStatus.formerr, Reason.malformed, Rcode.NOTIMP);
    }
    if (q.hasEdns && q.ednsVersion > 0) {
      const answer = t.withRcode(Rcode.BADVERS, EdeCode.none);
      return t.finish(answer, QueryStatus.formerr, Reason.malformed, Rcode.BADVERS);
    }
    if (!isServedClass(q.qclass)) {
      return t.finish(
        t.withRcode(Rcode.REFUSED, EdeCode.none),
        QueryStatus.refused,
        Reason.none,
        Rcode.REFUSED,
      );
    }
    return NEXT;
  }
}
