/** Names of the common query types for metric labels; others are "TYPE<n>" (RFC 3597 style). */
const NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  43: 'DS',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
};
const BY_NAME = new Map(Object.entries(NAMES).map(([code, name]) => [name, Number(code)]));

export function qtypeName(qtype: number): string {
  return NAMES[qtype] ?? `TYPE${qtype}`;
}

/** "AAAA" or "TYPE28" or "28" → 28; undefined when not a type. */
export function qtypeCode(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = BY_NAME.get(upper);
  if (known !== undefined) return known;
  const match = /^(?:TYPE)?(\d{1,5})$/.exec(upper);
  const code = match ? Number(match[1]) : NaN;
  return code >= 0 && code <= 65535 ? code : undefined;
}
