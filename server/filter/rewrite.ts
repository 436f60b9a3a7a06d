/**
 * `$dnsrewrite` values (AdGuard DNS filtering syntax) and the answers rewrites add up to.
 *   `$dnsrewrite=1.2.3.4` / `=::1` / `=host.example`      short forms: A, AAAA, CNAME (NOERROR)
 *   `$dnsrewrite=REFUSED` / `=NXDOMAIN` / `=NOERROR`        a response code with no records
 *   `$dnsrewrite=RCODE;TYPE;VALUE`                          full form (`NOERROR;MX;10 mail.example`),
 *                                                           `NOERROR;;` an empty answer
 * A hosts line with a real address (`192.168.1.10 nas.home`) is a rewrite too (A or AAAA).
 * Kept as plain data (it may cross a worker boundary); the DNS side encodes the records once.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { QType, Rcode } from '../dns-codec/constants.js';
import { REWRITE_TYPES, rewriteRdata } from '../dns-codec/rewrite-rdata.js';

export interface Rewrite {
  rcode: number;
  /** Record type of the answer (0: none, only the rcode). */
  type: number;
  /** The record's value as written (an address, a name, `10 mail.example` …). */
  value: string;
  /** `rcode;type;value`: what an `@@…$dnsrewrite=…` exception names. */
  key: string;
}

const RCODES: Readonly<Record<string, number>> = {
  noerror: Rcode.NOERROR,
  formerr: Rcode.FORMERR,
  servfail: Rcode.SERVFAIL,
  nxdomain: Rcode.NXDOMAIN,
  notimp: Rcode.NOTIMP,
  refused: Rcode.REFUSED,
};

const RCODE_NAMES = Object.fromEntries(Object.entries(RCODES).map(([k, v]) => [v, k.toUpperCase()]));
const TYPE_NAMES = Object.fromEntries(Object.entries(REWRITE_TYPES).map(([k, v]) => [v, k.toUpperCase()]));

export function makeRewrite(rcode: number, type: number, value: string): Rewrite {
  return { rcode, type, value, key: `${rcode};${type};${value.toLowerCase()}` };
}

/** Reads a `$dnsrewrite=` value; returns the rewrite or why it cannot be read. */
export function parseRewrite(raw: string): Rewrite | string {
  const value = raw.trim();
  if (value === '') return '$dnsrewrite= needs a value (only an exception may leave it empty)';
  const parts = value.split(';');
  if (parts.length === 1) {
    const rcode = RCODES[value.toLowerCase()];
    if (rcode !== undefined) return makeRewrite(rcode, 0, '');
    if (isIPv4(value)) return makeRewrite(Rcode.NOERROR, QType.A, value);
    if (isIPv6(value)) return makeRewrite(Rcode.NOERROR, QType.AAAA, value.toLowerCase());
    return withRecord(Rcode.NOERROR, QType.CNAME, value);
  }
  if (parts.length < 3) return `$dnsrewrite: expected RCODE;TYPE;VALUE, got "${value}"`;
  const rcode = RCODES[parts[0]!.trim().toLowerCase()];
  if (rcode === undefined) return `$dnsrewrite: unknown response code "${parts[0]}"`;
  const typeName = parts[1]!.trim().toLowerCase();
  const recordValue = parts.slice(2).join(';').trim();
  if (typeName === '' && recordValue === '') return makeRewrite(rcode, 0, '');
  const type = REWRITE_TYPES[typeName];
  if (type === undefined) return `$dnsrewrite: record type "${parts[1]}" cannot be rewritten`;
  if (rcode !== Rcode.NOERROR) return `$dnsrewrite: a ${parts[0]} answer carries no ${parts[1]} record`;
  return withRecord(rcode, type, recordValue);
}

function withRecord(rcode: number, type: number, value: string): Rewrite | string {
  try {
    rewriteRdata(type, value);
  } catch (error) {
    return `$dnsrewrite: ${(error as Error).message}`;
  }
  return makeRewrite(rcode, type, type === QType.TXT ? value : value.toLowerCase());
}

/** `NOERROR A 1.2.3.4`, `REFUSED`: how explain and the log show a rewrite. */
export function describeRewrite(rewrite: Rewrite): string {
  const rcode = RCODE_NAMES[rewrite.rcode] ?? String(rewrite.rcode);
  if (rewrite.type === 0) return rcode === 'NOERROR' ? 'an empty answer' : rcode;
  return `${TYPE_NAMES[rewrite.type] ?? rewrite.type} ${rewrite.value}`;
}

/**
 * The rewrites that apply to one question, combined as AdGuard Home does: a CNAME rewrite wins over
 * the rest (the last one, if several); else the first rewrite with an error code answers alone; else
 * every record rewrite counts, and the answer carries those of the asked type (none: an empty answer).
 * Built once per distinct combination and reused (see RewriteSetCache).
 */
export interface RewriteSet {
  rcode: number;
  /** The CNAME target when a CNAME rewrite won, else ''. */
  cname: string;
  /** Record rewrites (not CNAME), all types: the DNS side picks those of the question's type. */
  records: Rewrite[];
}

export function combineRewrites(rewrites: readonly Rewrite[]): RewriteSet {
  let cname: Rewrite | null = null;
  for (const r of rewrites) if (r.type === QType.CNAME) cname = r;
  if (cname !== null) return { rcode: Rcode.NOERROR, cname: cname.value, records: [] };
  const failure = rewrites.find((r) => r.rcode !== Rcode.NOERROR);
  if (failure !== undefined) return { rcode: failure.rcode, cname: '', records: [] };
  return { rcode: Rcode.NOERROR, cname: '', records: rewrites.filter((r) => r.type !== 0) };
}
