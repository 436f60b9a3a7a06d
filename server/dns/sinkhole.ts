/**
 * Sinkhole answers, precomputed from config.dns.blocking so that answering a blocked name is a copy of the
 * query plus a few prebuilt bytes. Every query type gets an answer: A/AAAA the configured addresses,
 * everything else (HTTPS/SVCB included) NODATA with an SOA so resolvers cache it (RFC 2308).
 */
import type { Config } from '../config/schema.js';
import { QueryStatus, Reason } from '../events/query-event.js';
import type { PrebuiltAnswer } from '../dns-codec/answer-writer.js';
import { EdeCode, QType, Rcode } from '../dns-codec/constants.js';
import {
  QUESTION_NAME_POINTER,
  encodeRecord,
  ipv4Bytes,
  ipv6Bytes,
  soaRdata,
} from '../dns-codec/record-encoder.js';

/**
 * What block() needs of a query in flight (stages/stage.ts: QueryContext, which holds this sinkhole):
 * named here so the two files do not import each other.
 */
interface BlockableQuery {
  q: { qtype: number };
  withRecords(records: PrebuiltAnswer, ede: number): Buffer;
  finish(answer: Buffer | null, status: QueryStatus, reason: Reason, rcode: number): Buffer | null;
}

export type { PrebuiltAnswer };

/** Owner of the synthesized SOA: under .invalid (RFC 6761) so it can never collide with a real zone. */
const SOA_MNAME = 'sinkhole.tracksink.invalid';
const SOA_RNAME = 'hostmaster.tracksink.invalid';

export function negativeSoa(ttl: number): Buffer {
  return encodeRecord(QUESTION_NAME_POINTER, QType.SOA, ttl, soaRdata(SOA_MNAME, SOA_RNAME, ttl));
}

function addressAnswer(type: number, ttl: number, addresses: Buffer[]): PrebuiltAnswer {
  return {
    rcode: Rcode.NOERROR,
    answer: Buffer.concat(addresses.map((a) => encodeRecord(QUESTION_NAME_POINTER, type, ttl, a))),
    ancount: addresses.length,
    authority: null,
    nscount: 0,
  };
}

/** Parses the custom-mode addresses; an error names the config key and the bad entry. */
function addresses(list: string[], parse: (a: string) => Buffer, key: string): Buffer[] {
  return list.map((address, i) => {
    try {
      return parse(address.trim());
    } catch (error) {
      throw new Error(`${key}[${i}]: ${(error as Error).message}`, { cause: error });
    }
  });
}

export class Sinkhole {
  private readonly forA: PrebuiltAnswer;
  private readonly forAAAA: PrebuiltAnswer;
  private readonly forOther: PrebuiltAnswer;

  constructor(blocking: Config['dns']['blocking']) {
    const ttl = blocking.ttl;
    const nodata: PrebuiltAnswer = {
      rcode: Rcode.NOERROR,
      answer: null,
      ancount: 0,
      authority: negativeSoa(ttl),
      nscount: 1,
    };
    switch (blocking.mode) {
      case 'nxdomain': {
        const nx = { ...nodata, rcode: Rcode.NXDOMAIN };
        this.forA = this.forAAAA = this.forOther = nx;
        break;
      }
      case 'nodata':
        this.forA = this.forAAAA = this.forOther = nodata;
        break;
      case 'refused': {
        const refused = { rcode: Rcode.REFUSED, answer: null, ancount: 0, authority: null, nscount: 0 };
        this.forA = this.forAAAA = this.forOther = refused;
        break;
      }
      case 'custom': {
        // An empty custom list falls back to the null address for that family.
        const v4 =
          blocking.ipv4.length > 0
            ? addresses(blocking.ipv4, ipv4Bytes, 'dns.blocking.ipv4')
            : [Buffer.alloc(4)];
        const v6 =
          blocking.ipv6.length > 0
            ? addresses(blocking.ipv6, ipv6Bytes, 'dns.blocking.ipv6')
            : [Buffer.alloc(16)];
        this.forA = addressAnswer(QType.A, ttl, v4);
        this.forAAAA = addressAnswer(QType.AAAA, ttl, v6);
        this.forOther = nodata;
        break;
      }
      default:
        this.forA = addressAnswer(QType.A, ttl, [Buffer.alloc(4)]);
        this.forAAAA = addressAnswer(QType.AAAA, ttl, [Buffer.alloc(16)]);
        this.forOther = nodata;
    }
  }

  /**
   * Ends the query as blocked for `reason` (a rule, a cloaked CNAME, rebinding): the answer for its type,
   * with the Extended DNS Error that says whether a list (Blocked) or the household (Filtered) decided.
   */
  block(t: BlockableQuery, reason: Reason): Buffer {
    const s = this.forType(t.q.qtype);
    const ede =
      reason === Reason.localDeny || reason === Reason.companyPolicy ? EdeCode.filtered : EdeCode.blocked;
    return t.finish(t.withRecords(s, ede), QueryStatus.blocked, reason, s.rcode)!;
  }

  /** The precomputed answer for a blocked query of this type. Never allocates. */
  forType(qtype: number): PrebuiltAnswer {
    if (qtype === QType.A) return this.forA;
    if (qtype === QType.AAAA) return this.forAAAA;
    return this.forOther;
  }
}
