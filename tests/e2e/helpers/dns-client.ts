/**
 * DNS queries from chosen loopback source addresses (127.0.0.2, 127.0.0.3 … are distinct clients to
 * tracksink), with raw label bytes so tests can send names no resolver library would build, and `dig`
 * for the "a real DNS client sees this" checks.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { promisify } from 'node:util';
import { QTYPE, parseResponse, type ParsedAnswer } from '../../helpers/upstream/dns-message.js';

const run = promisify(execFile);

/** A query whose labels are taken byte for byte (latin1), so '<', '"' and control bytes survive. */
export function rawQuery(
  labels: string[],
  qtype: number = QTYPE.A,
  id = Math.floor(Math.random() * 65536),
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const parts: Buffer[] = [header];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length === 0 || bytes.length > 63) throw new Error(`label of ${bytes.length} bytes: ${label}`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

/** Sends one UDP query from `source` and waits for the answer (null after `timeoutMs`). */
export async function queryFrom(
  source: string,
  port: number,
  query: Buffer,
  timeoutMs = 3000,
): Promise<Buffer | null> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((done, fail) => {
      socket.once('error', fail);
      socket.bind(0, source, () => done());
    });
    return await new Promise<Buffer | null>((done) => {
      const timer = setTimeout(() => done(null), timeoutMs);
      socket.on('message', (message) => {
        if (message.length >= 2 && message.readUInt16BE(0) === query.readUInt16BE(0)) {
          clearTimeout(timer);
          done(message);
        }
      });
      socket.send(query, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Resolves `name` (type A) from `source`; the parsed answer, or null on timeout. */
export async function resolveFrom(source: string, port: number, name: string): Promise<ParsedAnswer | null> {
  const answer = await queryFrom(source, port, rawQuery(name.split('.')));
  return answer ? parseResponse(answer) : null;
}

/** `dig +short` from a source address: the answer lines (addresses), [] for none. */
export async function dig(source: string, port: number, name: string): Promise<string[]> {
  const { stdout } = await run(
    'dig',
    [`@127.0.0.1`, '-p', String(port), '-b', source, name, 'A', '+short', '+time=2', '+tries=1'],
    { timeout: 10_000 },
  );
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
