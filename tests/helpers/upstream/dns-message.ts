/**
 * A tiny, independent DNS message builder/reader for tests. It deliberately shares no code with the
 * server's wire helpers, so a bug there cannot hide itself in the tests.
 */

export const QTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  HTTPS: 65,
};
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };

export interface ResourceRecord {
  name: string;
  type: number;
  ttl: number;
  /** Raw RDATA. */
  data: Buffer;
}

export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export interface BuildQueryOptions {
  id?: number;
  /** Adds an OPT record (EDNS) with this UDP payload size. */
  ednsPayload?: number;
  dnssecOk?: boolean;
  qclass?: number;
}

export function buildQuery(name: string, qtype: number, options: BuildQueryOptions = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(options.id ?? Math.floor(Math.random() * 65536), 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const question = Buffer.concat([encodeName(name), u16(qtype), u16(options.qclass ?? 1)]);
  const parts: Buffer[] = [header, question];
  if (options.ednsPayload !== undefined || options.dnssecOk) {
    header.writeUInt16BE(1, 10);
    parts.push(optRecord(options.ednsPayload ?? 1232, options.dnssecOk ?? false));
  }
  return Buffer.concat(parts);
}

export function optRecord(payload: number, dnssecOk: boolean): Buffer {
  const rr = Buffer.alloc(11);
  rr[0] = 0;
  rr.writeUInt16BE(QTYPE.OPT, 1);
  rr.writeUInt16BE(payload, 3);
  rr.writeUInt32BE(dnssecOk ? 0x8000 : 0, 5);
  rr.writeUInt16BE(0, 9);
  return rr;
}

export interface BuildResponseOptions {
  rcode?: number;
  answers?: ResourceRecord[];
  authority?: ResourceRecord[];
  truncated?: boolean;
}

/** A response to `query`: same ID and question section, QR=1, RA=1. */
export function buildResponse(query: Buffer, options: BuildResponseOptions = {}): Buffer {
  const questionEnd = skipName(query, 12) + 4;
  const header = Buffer.from(query.subarray(0, 12));
  const rd = query.readUInt16BE(2) & 0x0100;
  header.writeUInt16BE(0x8000 | 0x0080 | rd | (options.truncated ? 0x0200 : 0) | (options.rcode ?? 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(options.answers?.length ?? 0, 6);
  header.writeUInt16BE(options.authority?.length ?? 0, 8);
  header.writeUInt16BE(0, 10);
  const records = [...(options.answers ?? []), ...(options.authority ?? [])].map(encodeRecord);
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
}

export function encodeRecord(rr: ResourceRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(rr.type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(rr.ttl, 4);
  fixed.writeUInt16BE(rr.data.length, 8);
  return Buffer.concat([encodeName(rr.name), fixed, rr.data]);
}

export const rdata = {
  a(ip: string): Buffer {
    return Buffer.from(ip.split('.').map(Number));
  },
  aaaa(ip: string): Buffer {
    const [head = '', tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    return out;
  },
  name(target: string): Buffer {
    return encodeName(target);
  },
  txt(text: string): Buffer {
    const chunks: Buffer[] = [];
    for (let i = 0; i < text.length; i += 255) {
      const piece = Buffer.from(text.slice(i, i + 255), 'ascii');
      chunks.push(Buffer.from([piece.length]), piece);
    }
    return Buffer.concat(chunks);
  },
  soa(mname: string, rname: string, minimum: number): Buffer {
    const numbers = Buffer.alloc(20);
    [2026112301, 3600, 600, 86400, minimum].forEach((n, i) => numbers.writeUInt32BE(n, i * 4));
    return Buffer.concat([encodeName(mname), encodeName(rname), numbers]);
  },
};

/** Offset just past the (uncompressed or pointer-terminated) name at `offset`. */
export function skipName(msg: Buffer, offset: number): number {
  let i = offset;
  while (i < msg.length) {
    const len = msg[i]!;
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) return i + 2;
    i += len + 1;
  }
  throw new Error(`name at ${offset} runs past the message end`);
}

export function readName(msg: Buffer, offset: number): string {
  const labels: string[] = [];
  let i = offset;
  let jumps = 0;
  while (i < msg.length) {
    const len = msg[i]!;
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      if (++jumps > 20) throw new Error('compression loop');
      i = ((len & 0x3f) << 8) | msg[i + 1]!;
      continue;
    }
    labels.push(msg.toString('ascii', i + 1, i + 1 + len));
    i += len + 1;
  }
  return labels.join('.');
}

export interface ParsedQuestion {
  id: number;
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question section. */
  end: number;
}

export function parseQuestion(msg: Buffer): ParsedQuestion {
  const nameEnd = skipName(msg, 12);
  return {
    id: msg.readUInt16BE(0),
    name: readName(msg, 12),
    qtype: msg.readUInt16BE(nameEnd),
    qclass: msg.readUInt16BE(nameEnd + 2),
    end: nameEnd + 4,
  };
}

export interface ParsedAnswer {
  id: number;
  rcode: number;
  truncated: boolean;
  question: ParsedQuestion;
  answers: { name: string; type: number; ttl: number; data: Buffer; text: string }[];
}

/** Reads header, question and answer section; `text` is a readable form of A/AAAA/CNAME/TXT data. */
export function parseResponse(msg: Buffer): ParsedAnswer {
  const question = parseQuestion(msg);
  const flags = msg.readUInt16BE(2);
  const ancount = msg.readUInt16BE(6);
  let i = question.end;
  const answers: ParsedAnswer['answers'] = [];
  for (let n = 0; n < ancount; n++) {
    const name = readName(msg, i);
    i = skipName(msg, i);
    const type = msg.readUInt16BE(i);
    const ttl = msg.readUInt32BE(i + 4);
    const len = msg.readUInt16BE(i + 8);
    const dataStart = i + 10;
    const data = msg.subarray(dataStart, dataStart + len);
    answers.push({ name, type, ttl, data, text: describeRdata(msg, type, dataStart, data) });
    i = dataStart + len;
  }
  return {
    id: msg.readUInt16BE(0),
    rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0,
    question,
    answers,
  };
}

function describeRdata(msg: Buffer, type: number, offset: number, data: Buffer): string {
  if (type === QTYPE.A) return [...data].join('.');
  if (type === QTYPE.AAAA) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(data.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  if (type === QTYPE.CNAME) return readName(msg, offset);
  if (type === QTYPE.TXT) {
    let text = '';
    for (let i = 0; i < data.length; i += data[i]! + 1)
      text += data.toString('ascii', i + 1, i + 1 + data[i]!);
    return text;
  }
  return data.toString('hex');
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}
