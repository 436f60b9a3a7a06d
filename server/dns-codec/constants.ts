/** DNS wire constants used by the codec and the pipeline (RFC 1035, 6891, 8914, 8482, 9460). */

export const QType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  SVCB: 64,
  HTTPS: 65,
  ANY: 255,
} as const;

export const QClass = { IN: 1, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended rcode 16 (upper bits live in the OPT record): unsupported EDNS version. */
  BADVERS: 16,
} as const;

/** Extended DNS Error info codes (RFC 8914) that tracksink sends. */
export const EdeCode = {
  none: -1,
  other: 0,
  staleAnswer: 3,
  prohibited: 18,
  blocked: 15,
  filtered: 17,
  networkError: 23,
} as const;

export const HEADER_SIZE = 12;
/** Largest UDP answer a client that sent no EDNS may get (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_LIMIT = 512;
/** Longest name on the wire, length octets and the root label included (RFC 1035 §2.3.4). */
export const MAX_NAME_WIRE_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;

// Header flag bits (second 16-bit word).
export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;
export const OPCODE_MASK = 0x7800;
