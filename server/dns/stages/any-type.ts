/**
 * ANY stage (RFC 8482): a query for type ANY that no rule blocked gets the small answer (one HINFO
 * "RFC8482" record) instead of everything upstream holds for the name, which would make tracksink an
 * amplifier. Never forwarded, never cached.
 */
import { QueryStatus, Reason } from '../../events/query-event.js';
import type { PrebuiltAnswer } from '../../dns-codec/answer-writer.js';
import { EdeCode, QType, Rcode } from '../../dns-codec/constants.js';
import { QUESTION_NAME_POINTER, characterString, encodeRecord } from '../../dns-codec/record-encoder.js';
import { NEXT, type QueryContext, type Stage, type StageResult } from './stage.js';

/** TTL of the RFC 8482 answer (Cloudflare's is an hour too). */
const ANY_TTL = 3600;

export class AnyTypeStage implements Stage {
  private readonly answer: PrebuiltAnswer;

  constructor() {
    const hinfo = Buffer.concat([characterString('RFC8482'), characterString('')]);
    this.answer = {
      rcode: Rcode.NOERROR,
      answer: encodeRecord(QUESTION_NAME_POINTER, QType.HINFO, ANY_TTL, hinfo),
      ancount: 1,
      authority: null,
      nscount: 0,
    };
  }

  run(t: QueryContext): StageResult {
    if (t.q.qtype !== QType.ANY) return NEXT;
    return t.finish(t.withRecords(this.answer, EdeCode.none), QueryStatus.local, Reason.none, Rcode.NOERROR);
  }
}
