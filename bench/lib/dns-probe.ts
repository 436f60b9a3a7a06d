/**
 * A minimal UDP DNS client used only to see when a server is ready (answers a query) and what it
 * answers. It builds one question and reads the header and the first A record; nothing more.
 */
import { createSocket } from 'node:dgram';

export interface ProbeAnswer {
  rcode: number;
  answers: number;
  /** First A record's address, if any. */
  address: string | null;
}

export function buildQuery(id: number, name: string, qtype = 1): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  const size = 12 + labels.reduce((n, l) => n + 1 + Buffer.byteLength(l), 0) + 1 + 4;
  const out = Buffer.alloc(size);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x0100, 2); // RD
  out.writeUInt16BE(1, 4);
  let at = 12;
  for (const label of labels) {
    at = out.writeUInt8(Buffer.byteLength(label), at);
    at += out.write(label, at, 'ascii');
  }
  at = out.writeUInt8(0, at);
  at = out.writeUInt16BE(qtype, at);
  out.writeUInt16BE(1, at);
  return out;
}

function skipName(message: Buffer, at: number): number {
  while (at < message.length) {
    const length = message[at] as number;
    if (length === 0) return at + 1;
    if ((length & 0xc0) === 0xc0) return at + 2;
    at += length + 1;
  }
  throw new Error('truncated name');
}

export function readAnswer(message: Buffer): ProbeAnswer {
  if (message.length < 12) throw new Error(`answer of ${message.length} bytes is shorter than a DNS header`);
  const rcode = (message[3] as number) & 0x0f;
  const questions = message.readUInt16BE(4);
  const answers = message.readUInt16BE(6);
  let at = 12;
  for (let i = 0; i < questions; i++) at = skipName(message, at) + 4;
  let address: string | null = null;
  for (let i = 0; i < answers && address === null; i++) {
    at = skipName(message, at);
    const type = message.readUInt16BE(at);
    const length = message.readUInt16BE(at + 8);
    if (type === 1 && length === 4) address = [...message.subarray(at + 10, at + 14)].join('.');
    at += 10 + length;
  }
  return { rcode, answers, address };
}

/** Sends one A query; resolves with the answer or null after timeoutMs. */
export function probe(
  port: number,
  name: string,
  timeoutMs = 500,
  host = '127.0.0.1',
): Promise<ProbeAnswer | null> {
  return new Promise((resolvePromise) => {
    const socket = createSocket('udp4');
    const id = Math.floor(Math.random() * 0xffff);
    const done = (answer: ProbeAnswer | null): void => {
      clearTimeout(timer);
      socket.close();
      resolvePromise(answer);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('error', () => done(null));
    socket.on('message', (message) => {
      if (message.length >= 2 && message.readUInt16BE(0) === id) {
        try {
          done(readAnswer(message));
        } catch {
          done(null);
        }
      }
    });
    socket.send(buildQuery(id, name), port, host);
  });
}
