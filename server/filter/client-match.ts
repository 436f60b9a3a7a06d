/**
 * `$client=` evaluation (AdGuard DNS filtering syntax): a rule restricted to clients applies to a
 * device when one of its positive values names the device — an address, a CIDR range (IPv4 or IPv6)
 * holding one of its addresses, or its name — and none of its `~` values does. Addresses are compared
 * as parsed values (`2001::0:00c0:ffee` is `2001::c0:ffee`; `::ffff:1.2.3.4` is `1.2.3.4`); names
 * ignore letter case. Results are cached per rule and device until the identities change.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { ClientSpec, SlowRule } from './slow-rule.js';

export interface DeviceIdentity {
  addresses: readonly string[];
  names: readonly string[];
}

/** A device as the matcher keeps it: addresses parsed once. */
interface ParsedIdentity {
  addresses: Uint8Array[];
  names: string[];
}

/** An address as 16 bytes (IPv4 as IPv4-mapped IPv6), or null when the text is not an address. */
export function addressBytes(text: string): Uint8Array | null {
  let value = text.trim();
  const zone = value.indexOf('%');
  if (zone !== -1) value = value.slice(0, zone);
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  const out = new Uint8Array(16);
  if (isIPv4(value)) {
    out[10] = 0xff;
    out[11] = 0xff;
    value.split('.').forEach((part, i) => (out[12 + i] = Number(part)));
    return out;
  }
  if (!isIPv6(value)) return null;
  const tailV4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(value);
  let head = value;
  const extra: number[] = [];
  if (tailV4 !== null) {
    head = value.slice(0, -tailV4[1]!.length) + '0:0';
    tailV4[1]!.split('.').forEach((p) => extra.push(Number(p)));
  }
  const [left, right] = head.split('::') as [string, string | undefined];
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const groups =
    right === undefined
      ? leftGroups
      : [
          ...leftGroups,
          ...new Array<string>(8 - leftGroups.length - rightGroups.length).fill('0'),
          ...rightGroups,
        ];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (extra.length === 4) out.set(extra, 12);
  return out;
}

/** Reads one `$client` value: `1.2.3.4`, `2001::c0:ffee`, `192.168.3.0/24`, `2001::/120`, or a name. */
export function parseClientSpec(negated: boolean, value: string): ClientSpec {
  const slash = value.lastIndexOf('/');
  const addressText = slash === -1 ? value : value.slice(0, slash);
  const address = addressBytes(addressText);
  if (address === null) return { negated, value, address: null, bits: 0 };
  const v4 = isIPv4(addressText.trim());
  let bits = 128;
  if (slash !== -1) {
    const prefix = Number(value.slice(slash + 1));
    const max = v4 ? 32 : 128;
    if (!/^\d+$/.test(value.slice(slash + 1)) || prefix > max)
      return { negated, value, address: null, bits: 0 };
    bits = v4 ? 96 + prefix : prefix;
  }
  return { negated, value, address, bits };
}

function inRange(address: Uint8Array, network: Uint8Array, bits: number): boolean {
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (address[i] !== network[i]) return false;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (address[i]! & mask) === (network[i]! & mask);
}

export class ClientMatcher {
  private readonly cache = new Map<SlowRule, Map<number, boolean>>();
  private readonly identities = new Map<number, ParsedIdentity>();

  constructor(identities: ReadonlyMap<number, DeviceIdentity>) {
    for (const [id, identity] of identities) this.identities.set(id, parseIdentity(identity));
  }

  /** Does the `$client` restriction of `rule` let it apply to `deviceId`? Allocates once per pair. */
  readonly allows = (rule: SlowRule, deviceId: number): boolean => {
    let perDevice = this.cache.get(rule);
    if (perDevice === undefined) {
      perDevice = new Map();
      this.cache.set(rule, perDevice);
    }
    let result = perDevice.get(deviceId);
    if (result === undefined) {
      result = specsAllow(rule.clients ?? [], this.identities.get(deviceId) ?? EMPTY);
      perDevice.set(deviceId, result);
    }
    return result;
  };

  /** Why a rule's `$client` keeps it from this device (explain), or '' when it applies. */
  whyNot(rule: SlowRule, deviceId: number): string {
    if (rule.clients === null || this.allows(rule, deviceId)) return '';
    const identity = this.identities.get(deviceId);
    const excluded = rule.clients.find(
      (s) => s.negated && identity !== undefined && specMatches(s, identity),
    );
    if (excluded !== undefined) return `the rule excludes this device (${excluded.value})`;
    const wanted = rule.clients.filter((s) => !s.negated).map((s) => s.value);
    return `the rule is only for ${wanted.join(', ')}`;
  }

  /** A device was seen at a new address: from now on its `$client` checks know it. */
  addAddress(deviceId: number, address: string): void {
    const bytes = addressBytes(address);
    if (bytes === null) return;
    const identity = this.identities.get(deviceId) ?? { addresses: [], names: [] };
    identity.addresses.push(bytes);
    this.identities.set(deviceId, identity);
    this.cache.clear();
  }
}

const EMPTY: ParsedIdentity = { addresses: [], names: [] };

function parseIdentity(identity: DeviceIdentity): ParsedIdentity {
  return {
    addresses: identity.addresses.map(addressBytes).filter((a): a is Uint8Array => a !== null),
    names: identity.names.map((n) => n.toLowerCase()),
  };
}

function specsAllow(specs: readonly ClientSpec[], identity: ParsedIdentity): boolean {
  let hasPositive = false;
  let positiveHit = false;
  for (const spec of specs) {
    const hit = specMatches(spec, identity);
    if (spec.negated) {
      if (hit) return false;
    } else {
      hasPositive = true;
      if (hit) positiveHit = true;
    }
  }
  return hasPositive ? positiveHit : true;
}

function specMatches(spec: ClientSpec, identity: ParsedIdentity): boolean {
  if (spec.address !== null) {
    const network = spec.address;
    return identity.addresses.some((a) => inRange(a, network, spec.bits));
  }
  const name = spec.value.toLowerCase();
  return identity.names.includes(name);
}
