/**
 * A programmable DNS server for tests: UDP and TCP on the same random port of 127.0.0.1 or ::1 (so a TC=1 retry
 * over TCP reaches it), answering from a small zone, with per-test misbehaviour (delays, silence,
 * garbage, wrong ID or question, answers from another port, flapping) and counters of what it received.
 *
 * Zone rules (see `answerFor`):
 * - names in `zone` answer their records (a CNAME entry is followed through the zone: chains);
 * - `*.nxdomain.test` and `nxdomain.test` answer NXDOMAIN with an SOA in the authority section;
 * - `big.test` TXT answers ~4 KB of TXT (truncated with TC=1 over UDP);
 * - any other name answers A `defaultA` / AAAA `defaultAAAA`, other types NODATA with SOA.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { ParsedQuestion, ResourceRecord } from './dns-message.js';
import { QTYPE, RCODE, buildResponse, parseQuestion, rdata } from './dns-message.js';

export type StubMode =
  /** Answer from the zone (default). */
  | 'answer'
  /** Never answer. */
  | 'silent'
  /** Only random bytes. */
  | 'garbage'
  /** Only a correct answer with a different ID. */
  | 'wrong-id'
  /** Only an answer (same ID) for another name. */
  | 'wrong-question'
  /** Only a correct answer, sent from a different UDP port (a spoof). TCP/DoH/DoT: silent. */
  | 'other-port'
  | 'servfail'
  | 'refused';

export type BadPacket = 'garbage' | 'wrong-id' | 'wrong-question' | 'other-port';

export interface StubBehaviour {
  mode?: StubMode;
  /** Wait this long before replying. */
  delayMs?: number;
  /** Bad packets sent just before the real answer (the spoofing race a client must survive). */
  before?: BadPacket[];
  /** Flapping: reply to `up` queries, then ignore `down` queries, and again. */
  flap?: { up: number; down: number };
  /** TCP only: close the connection after this many replies on it. */
  tcpCloseAfter?: number;
}

export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  CNAME?: string;
  TXT?: string[];
  ttl?: number;
}

export interface StubOptions {
  zone?: Record<string, ZoneEntry>;
  defaultA?: string;
  defaultAAAA?: string;
  behaviour?: StubBehaviour;
  /** Listen address: 127.0.0.1 (default) or ::1. */
  host?: '127.0.0.1' | '::1';
}

export type StubProtocol = 'udp' | 'tcp' | 'direct';

export interface ReceivedQuery extends ParsedQuestion {
  protocol: StubProtocol;
}

export interface StubReply {
  packet: Buffer;
  /** Send from another source port (a spoof); only meaningful for UDP. */
  fromOtherPort: boolean;
}

export interface StubDnsServer {
  readonly address: string;
  readonly port: number;
  readonly udpUrl: string;
  readonly tcpUrl: string;
  /** Every query received, in order. */
  readonly received: ReceivedQuery[];
  readonly tcpConnections: number;
  queries(protocol?: StubProtocol): number;
  setBehaviour(behaviour: StubBehaviour): void;
  /** Applies the behaviour to one query; the DoH/DoT test servers answer through this. */
  respond(query: Buffer, protocol: StubProtocol): Promise<StubReply[]>;
  resetCounts(): void;
  close(): Promise<void>;
}

const BIG_TXT = 'x'.repeat(4000);
const SOA_NAME = 'stub.test';

export async function startStubDnsServer(options: StubOptions = {}): Promise<StubDnsServer> {
  const zone = new Map(Object.entries(options.zone ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const defaultA = options.defaultA ?? '192.0.2.1';
  const defaultAAAA = options.defaultAAAA ?? '2001:db8::1';
  let behaviour: StubBehaviour = options.behaviour ?? {};
  let flapCounter = 0;
  const received: ReceivedQuery[] = [];
  let tcpConnections = 0;
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<net.Socket>();

  const host = options.host ?? '127.0.0.1';
  const { udp, tcp, port } = await bindSamePort(host);
  const spoofSocket = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => spoofSocket.bind(0, host, resolve));
  const urlHost = host === '::1' ? '[::1]' : host;

  function answerFor(query: Buffer): Buffer {
    const q = parseQuestion(query);
    const name = q.name.toLowerCase();
    const soa: ResourceRecord = {
      name: SOA_NAME,
      type: QTYPE.SOA,
      ttl: 300,
      data: rdata.soa('ns.stub.test', 'hostmaster.stub.test', 60),
    };
    if (name === 'nxdomain.test' || name.endsWith('.nxdomain.test')) {
      return buildResponse(query, { rcode: RCODE.NXDOMAIN, authority: [soa] });
    }
    if (name === 'big.test' && q.qtype === QTYPE.TXT) {
      return buildResponse(query, {
        answers: [{ name: q.name, type: QTYPE.TXT, ttl: 60, data: rdata.txt(BIG_TXT) }],
      });
    }
    const answers: ResourceRecord[] = [];
    let current = name;
    for (let hops = 0; hops < 10; hops++) {
      const entry = zone.get(current);
      if (!entry) {
        // Unknown names (and chain targets outside the zone) get the wildcard addresses.
        if (q.qtype === QTYPE.A)
          answers.push({ name: current, type: QTYPE.A, ttl: 60, data: rdata.a(defaultA) });
        if (q.qtype === QTYPE.AAAA)
          answers.push({ name: current, type: QTYPE.AAAA, ttl: 60, data: rdata.aaaa(defaultAAAA) });
        break;
      }
      const ttl = entry.ttl ?? 60;
      if (entry.CNAME && q.qtype !== QTYPE.CNAME) {
        answers.push({ name: current, type: QTYPE.CNAME, ttl, data: rdata.name(entry.CNAME) });
        current = entry.CNAME.toLowerCase();
        continue;
      }
      if (q.qtype === QTYPE.A)
        for (const ip of entry.A ?? [])
          answers.push({ name: current, type: QTYPE.A, ttl, data: rdata.a(ip) });
      if (q.qtype === QTYPE.AAAA)
        for (const ip of entry.AAAA ?? [])
          answers.push({ name: current, type: QTYPE.AAAA, ttl, data: rdata.aaaa(ip) });
      if (q.qtype === QTYPE.TXT)
        for (const t of entry.TXT ?? [])
          answers.push({ name: current, type: QTYPE.TXT, ttl, data: rdata.txt(t) });
      if (q.qtype === QTYPE.CNAME && entry.CNAME)
        answers.push({ name: current, type: QTYPE.CNAME, ttl, data: rdata.name(entry.CNAME) });
      break;
    }
    return buildResponse(query, { answers, authority: answers.length === 0 ? [soa] : [] });
  }

  function badPacket(kind: BadPacket, query: Buffer): StubReply {
    switch (kind) {
      case 'garbage': {
        const junk = Buffer.alloc(40);
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(Math.random() * 256);
        junk.writeUInt16BE(query.readUInt16BE(0), 0); // same ID: a client must still check the rest
        return { packet: junk, fromOtherPort: false };
      }
      case 'wrong-id': {
        const packet = spoofAnswer(query);
        packet.writeUInt16BE((query.readUInt16BE(0) + 1) & 0xffff, 0);
        return { packet, fromOtherPort: false };
      }
      case 'wrong-question': {
        const q = parseQuestion(query);
        const other = Buffer.concat([query.subarray(0, 12), encodeOther(q.name), query.subarray(q.end - 4)]);
        return { packet: spoofAnswerFor(other), fromOtherPort: false };
      }
      case 'other-port':
        return { packet: spoofAnswer(query), fromOtherPort: true };
    }
  }

  /** A well-formed answer with a tell-tale address (203.0.113.66) that must never be accepted. */
  function spoofAnswer(query: Buffer): Buffer {
    return spoofAnswerFor(query);
  }
  function spoofAnswerFor(query: Buffer): Buffer {
    const q = parseQuestion(query);
    const answers: ResourceRecord[] =
      q.qtype === QTYPE.AAAA
        ? [{ name: q.name, type: QTYPE.AAAA, ttl: 60, data: rdata.aaaa('2001:db8::66') }]
        : [{ name: q.name, type: QTYPE.A, ttl: 60, data: rdata.a('203.0.113.66') }];
    return buildResponse(query, { answers });
  }

  async function respond(query: Buffer, protocol: StubProtocol): Promise<StubReply[]> {
    let parsed: ParsedQuestion;
    try {
      parsed = parseQuestion(query);
    } catch {
      return [];
    }
    received.push({ ...parsed, protocol });
    const b = behaviour;
    if (b.flap) {
      const position = flapCounter++ % (b.flap.up + b.flap.down);
      if (position >= b.flap.up) return [];
    }
    if (b.delayMs) await sleep(b.delayMs);
    const mode = b.mode ?? 'answer';
    const replies: StubReply[] = (b.before ?? []).map((kind) => badPacket(kind, query));
    switch (mode) {
      case 'silent':
        return replies;
      case 'garbage':
      case 'wrong-id':
      case 'wrong-question':
      case 'other-port':
        return [...replies, badPacket(mode, query)];
      case 'servfail':
        return [
          ...replies,
          { packet: buildResponse(query, { rcode: RCODE.SERVFAIL }), fromOtherPort: false },
        ];
      case 'refused':
        return [...replies, { packet: buildResponse(query, { rcode: RCODE.REFUSED }), fromOtherPort: false }];
      case 'answer':
        return [...replies, { packet: answerFor(query), fromOtherPort: false }];
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  udp.on('message', (msg, rinfo) => {
    void respond(msg, 'udp').then((replies) => {
      for (const reply of replies) {
        let packet = reply.packet;
        const limit = udpLimit(msg);
        if (packet.length > limit) packet = truncate(packet);
        const socket = reply.fromOtherPort ? spoofSocket : udp;
        socket.send(packet, rinfo.port, rinfo.address, () => undefined);
      }
    });
  });

  tcp.on('connection', (socket) => {
    tcpConnections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let repliesOnConnection = 0;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const query = Buffer.from(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
        void respond(query, 'tcp').then((replies) => {
          for (const reply of replies) {
            if (reply.fromOtherPort || socket.destroyed) continue;
            socket.write(frame(reply.packet));
          }
          if (replies.length > 0) repliesOnConnection++;
          const closeAfter = behaviour.tcpCloseAfter;
          if (closeAfter !== undefined && repliesOnConnection >= closeAfter) socket.end();
        });
      }
    });
  });

  return {
    address: host,
    port,
    udpUrl: `udp://${urlHost}:${port}`,
    tcpUrl: `tcp://${urlHost}:${port}`,
    received,
    get tcpConnections() {
      return tcpConnections;
    },
    queries(protocol?: StubProtocol) {
      return protocol ? received.filter((q) => q.protocol === protocol).length : received.length;
    },
    setBehaviour(next: StubBehaviour) {
      behaviour = next;
      flapCounter = 0;
    },
    respond,
    resetCounts() {
      received.length = 0;
      tcpConnections = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => spoofSocket.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

/** The length-prefixed form used on TCP and TLS streams. */
export function frame(packet: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(packet.length, 0);
  return Buffer.concat([prefix, packet]);
}

function udpLimit(query: Buffer): number {
  // EDNS payload size from an OPT record at the end of a plain query (as our builders make them).
  if (query.readUInt16BE(10) >= 1 && query.length >= 11) {
    const opt = query.subarray(query.length - 11);
    if (opt[0] === 0 && opt.readUInt16BE(1) === QTYPE.OPT) return Math.max(512, opt.readUInt16BE(3));
  }
  return 512;
}

function truncate(packet: Buffer): Buffer {
  const q = parseQuestion(packet);
  const out = Buffer.from(packet.subarray(0, q.end));
  out.writeUInt16BE(out.readUInt16BE(2) | 0x0200, 2);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}

function encodeOther(name: string): Buffer {
  const other = `wrong-${name}`.slice(0, 60);
  const bytes = Buffer.from(other, 'ascii');
  return Buffer.concat([Buffer.from([bytes.length]), bytes, Buffer.from([0])]);
}

async function bindSamePort(host: string): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => udp.bind(0, host, resolve));
    const port = udp.address().port;
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, host, () => resolve(true));
    });
    if (ok) return { udp, tcp, port };
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
  throw new Error('stub DNS server: could not bind UDP and TCP on the same port');
}
