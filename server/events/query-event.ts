/**
 * The one record the DNS pipeline emits per query, and the sink it goes to.
 *
 * The pipeline owns a single mutable QueryEvent per transport and refills it for every query, so the hot
 * path allocates nothing for logging; the sink copies the fields into its bounded queue synchronously and
 * never blocks (a full queue counts a drop). Status and reason are integer enums so that the log stores
 * small integers and the UI never has to infer "blocked" from an address or an rcode.
 */

/** What was done with a query. Stored as an integer in the log: never renumber, only append. */
export const QueryStatus = {
  blocked: 1,
  allowed: 2, // an allow rule matched a name some list blocks; forwarded upstream
  forwarded: 3,
  cached: 4,
  local: 5, // answered from a local record or a built-in answer (PTR for private ranges, canaries)
  refused: 6, // access control said no
  error: 7, // upstreams failed and nothing stale was available (SERVFAIL)
  stale: 8, // served from an expired cache entry because every upstream failed (RFC 8767)
  dropped: 9, // rate limited: no answer sent
  formerr: 10, // malformed query answered with FORMERR
} as const;
export type QueryStatus = (typeof QueryStatus)[keyof typeof QueryStatus];
export const QUERY_STATUS_NAMES: Record<QueryStatus, string> = {
  1: 'blocked',
  2: 'allowed',
  3: 'forwarded',
  4: 'cached',
  5: 'local',
  6: 'refused',
  7: 'error',
  8: 'stale',
  9: 'dropped',
  10: 'formerr',
};

/** Why the status was chosen. Stored as an integer in the log: never renumber, only append. */
export const Reason = {
  none: 0,
  list: 1, // a blocklist rule (listId, ruleId = line number)
  listException: 2, // an @@ exception in a list beat a block
  localDeny: 3, // a user deny rule (ruleId = rule id)
  localAllow: 4, // a user allow rule (ruleId = rule id)
  companyPolicy: 5, // a per-company preset ("block everything" / "allow")
  cname: 6, // CNAME cloaking: a name in the answer's CNAME chain is blocked (cnameTarget says which)
  paused: 7, // blocking paused globally or for the device
  localRecord: 8,
  privatePtr: 9, // PTR for a private range, never forwarded
  canary: 10, // Firefox DoH canary / iCloud Private Relay signal
  rebinding: 11, // public name answered with a private address
  accessDenied: 12,
  rateLimited: 13,
  malformed: 14,
  upstreamFailed: 15,
  catalog: 16, // the built-in tracker catalog (listId of the catalog list)
  rewritten: 17, // answered from a list rule: $dnsrewrite or a hosts line with an address (listId, ruleId = line)
  schedule: 18, // a schedule of the device or its profile blocks the name now (ruleId = schedule id)
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
export const REASON_NAMES: Record<Reason, string> = {
  0: 'none',
  1: 'list',
  2: 'list-exception',
  3: 'local-deny',
  4: 'local-allow',
  5: 'company-policy',
  6: 'cname',
  7: 'paused',
  8: 'local-record',
  9: 'private-ptr',
  10: 'canary',
  11: 'rebinding',
  12: 'access-denied',
  13: 'rate-limited',
  14: 'malformed',
  15: 'upstream-failed',
  16: 'catalog',
  17: 'rewritten',
  18: 'schedule',
};

export const Protocol = { udp: 1, tcp: 2, doh: 3, dot: 4 } as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];

/** One query, as the pipeline saw it. Mutable and reused: a sink must copy, never keep a reference. */
export interface QueryEvent {
  /** Wall-clock time the query arrived, ms since the epoch. */
  timeMs: number;
  /** Client address as the socket reported it (IPv4 dotted or IPv6 text). */
  clientAddress: string;
  /** Device id from the device registry (0 while unknown). */
  deviceId: number;
  /** Query name, lower case, no trailing dot ('' for the root or an unreadable name). */
  name: string;
  qtype: number;
  protocol: Protocol;
  status: QueryStatus;
  reason: Reason;
  /** List id for list reasons, else 0. */
  listId: number;
  /** Line number in the list, or the user rule's id, else 0. */
  ruleId: number;
  /** Attribution of the name (0 = unknown company/category/app). */
  companyId: number;
  categoryId: number;
  appId: number;
  /**
   * NameKind of the name (0 unknown, 1 tracker endpoint, 2 service): only tracker endpoints count as
   * tracking attempts. A name a blocklist blocks that attribution does not know counts as a tracker.
   */
  kind: number;
  /** The response code sent (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED …); -1 when nothing was sent. */
  rcode: number;
  /** Time from arrival to answer, microseconds. */
  durationUs: number;
  /** 1-based index of the upstream that answered, 0 when none. */
  upstreamId: number;
  /** For Reason.cname: the blocked name found in the CNAME chain, else ''. */
  cnameTarget: string;
}

export function emptyQueryEvent(): QueryEvent {
  return {
    timeMs: 0,
    clientAddress: '',
    deviceId: 0,
    name: '',
    qtype: 0,
    protocol: Protocol.udp,
    status: QueryStatus.forwarded,
    reason: Reason.none,
    listId: 0,
    ruleId: 0,
    companyId: 0,
    categoryId: 0,
    appId: 0,
    kind: 0,
    rcode: 0,
    durationUs: 0,
    upstreamId: 0,
    cnameTarget: '',
  };
}

/** Where the pipeline pushes events. record() must be synchronous, copy the fields and never throw. */
export interface QueryLogSink {
  record(event: QueryEvent): void;
}

/** A sink that keeps nothing: for tests and for "log nothing" privacy mode. */
export const nullQueryLogSink: QueryLogSink = { record() {} };
