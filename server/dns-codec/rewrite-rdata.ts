/**
 * RDATA for the records a `$dnsrewrite` rule (or a hosts line) answers with, from the text AdGuard's
 * syntax uses: `A 1.2.3.4`, `AAAA ::1`, `CNAME name`, `PTR name`, `TXT text`, `MX 10 mail.example`,
 * `SRV 10 60 8080 host`, `HTTPS|SVCB 1 target alpn=h2,h3 port=443 ipv4hint=… ipv6hint=… ech=…`.
 * Run when lists load, never per query; throws with what is wrong.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { QType } from './constants.js';
import { characterString, encodeName, ipv4Bytes, ipv6Bytes } from './record-encoder.js';

/** Record types a rewrite can carry. */
export const REWRITE_TYPES: Readonly<Record<string, number>> = {
  a: QType.A,
  aaaa: QType.AAAA,
  cname: QType.CNAME,
  ptr: QType.PTR,
  txt: QType.TXT,
  mx: QType.MX,
  srv: QType.SRV,
  svcb: QType.SVCB,
  https: QType.HTTPS,
};

/** SvcParamKeys (RFC 9460 §14.3.2). */
const SVC_KEYS: Readonly<Record<string, number>> = {
  mandatory: 0,
  alpn: 1,
  'no-default-alpn': 2,
  port: 3,
  ipv4hint: 4,
  ech: 5,
  ipv6hint: 6,
};

export function rewriteRdata(type: number, value: string): Buffer {
  switch (type) {
    case QType.A:
      return ipv4Bytes(value);
    case QType.AAAA:
      return ipv6Bytes(value);
    case QType.CNAME:
    case QType.PTR:
      return encodeName(hostName(value));
    case QType.TXT:
      return txtRdata(value);
    case QType.MX: {
      const [pref, host, ...rest] = value.trim().split(/\s+/);
      if (rest.length > 0 || host === undefined)
        throw new Error(`MX wants "preference host", got "${value}"`);
      return Buffer.concat([u16(pref!, 'MX preference'), encodeName(hostName(host))]);
    }
    case QType.SRV: {
      const [prio, weight, port, host, ...rest] = value.trim().split(/\s+/);
      if (rest.length > 0 || host === undefined)
        throw new Error(`SRV wants "priority weight port target", got "${value}"`);
      return Buffer.concat([
        u16(prio!, 'SRV priority'),
        u16(weight!, 'SRV weight'),
        u16(port!, 'SRV port'),
        encodeName(hostName(host)),
      ]);
    }
    case QType.SVCB:
    case QType.HTTPS:
      return svcbRdata(value);
    default:
      throw new Error(`record type ${type} cannot be rewritten`);
  }
}

function hostName(value: string): string {
  const name = value.trim().toLowerCase();
  if (name === '' || name === '.') return '';
  if (!/^[a-z0-9_*-]+(\.[a-z0-9_-]+)*\.?$/.test(name)) throw new Error(`"${value}" is not a host name`);
  return name;
}

function u16(text: string, what: string): Buffer {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 0xffff) throw new Error(`${what} "${text}" is not a number from 0 to 65535`);
  const out = Buffer.alloc(2);
  out.writeUInt16BE(n);
  return out;
}

function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

function svcbRdata(value: string): Buffer {
  const [prio, target, ...params] = value.trim().split(/\s+/);
  if (target === undefined)
    throw new Error(`HTTPS/SVCB wants "priority target [key=value …]", got "${value}"`);
  const encoded: Array<{ key: number; data: Buffer }> = [];
  for (const param of params) {
    const eq = param.indexOf('=');
    const keyName = (eq === -1 ? param : param.slice(0, eq)).toLowerCase();
    const raw = eq === -1 ? '' : param.slice(eq + 1).replace(/^"|"$/g, '');
    const key = SVC_KEYS[keyName] ?? (/^key\d+$/.test(keyName) ? Number(keyName.slice(3)) : undefined);
    if (key === undefined || key > 0xffff) throw new Error(`unknown HTTPS/SVCB parameter "${keyName}"`);
    encoded.push({ key, data: svcParam(key, raw) });
  }
  encoded.sort((a, b) => a.key - b.key);
  const parts = [u16(prio!, 'HTTPS/SVCB priority'), encodeName(hostName(target))];
  for (const { key, data } of encoded) {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(key, 0);
    head.writeUInt16BE(data.length, 2);
    parts.push(head, data);
  }
  return Buffer.concat(parts);
}

function svcParam(key: number, raw: string): Buffer {
  switch (key) {
    case 0:
      return Buffer.concat(
        raw.split(',').map((k) => {
          const code = SVC_KEYS[k.toLowerCase()];
          if (code === undefined) throw new Error(`unknown mandatory key "${k}"`);
          return u16(String(code), 'key');
        }),
      );
    case 1:
      return Buffer.concat(raw.split(',').map((id) => characterString(id)));
    case 2:
      return Buffer.alloc(0);
    case 3:
      return u16(raw, 'port');
    case 4:
      return Buffer.concat(
        raw.split(',').map((a) => {
          if (!isIPv4(a)) throw new Error(`ipv4hint "${a}" is not an IPv4 address`);
          return ipv4Bytes(a);
        }),
      );
    case 6:
      return Buffer.concat(
        raw.split(',').map((a) => {
          if (!isIPv6(a)) throw new Error(`ipv6hint "${a}" is not an IPv6 address`);
          return ipv6Bytes(a);
        }),
      );
    default:
      return Buffer.from(raw, key === 5 ? 'base64' : 'utf8');
  }
}
