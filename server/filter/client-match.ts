/**
 * `$client=` evaluation: a rule restricted to clients applies to a device when one of its positive
 * values names the device (an address, an IPv4 CIDR range containing one of its addresses, or its
 * name) and none of its `~` values does. Results are cached per rule until the identities change.
 */
import type { ClientSpec, SlowRule } from './slow-rule.js';

export interface DeviceIdentity {
  addresses: readonly string[];
  names: readonly string[];
}

export class ClientMatcher {
  private readonly cache = new Map<SlowRule, { devices: Set<number>; unknown: boolean }>();

  constructor(private readonly identities: ReadonlyMap<number, DeviceIdentity>) {}

  /** Does the `$client` restriction of `rule` let it apply to `deviceId`? */
  readonly allows = (rule: SlowRule, deviceId: number): boolean => {
    let entry = this.cache.get(rule);
    if (entry === undefined) {
      entry = { devices: new Set(), unknown: specsAllow(rule.clients ?? [], { addresses: [], names: [] }) };
      for (const [id, identity] of this.identities)
        if (specsAllow(rule.clients ?? [], identity)) entry.devices.add(id);
      this.cache.set(rule, entry);
    }
    return this.identities.has(deviceId) ? entry.devices.has(deviceId) : entry.unknown;
  };
}

function specsAllow(specs: readonly ClientSpec[], identity: DeviceIdentity): boolean {
  let hasPositive = false;
  let positiveHit = false;
  for (const spec of specs) {
    const hit = specMatches(spec.value, identity);
    if (spec.negated) {
      if (hit) return false;
    } else {
      hasPositive = true;
      if (hit) positiveHit = true;
    }
  }
  return hasPositive ? positiveHit : true;
}

function specMatches(value: string, identity: DeviceIdentity): boolean {
  if (identity.names.some((n) => n.toLowerCase() === value)) return true;
  const slash = value.indexOf('/');
  if (slash === -1) return identity.addresses.some((a) => a.toLowerCase() === value);
  const network = ipv4ToInt(value.slice(0, slash));
  const bits = Number(value.slice(slash + 1));
  if (network === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return identity.addresses.some((a) => {
    const ip = ipv4ToInt(a.startsWith('::ffff:') ? a.slice(7) : a);
    return ip !== null && (ip & mask) >>> 0 === (network & mask) >>> 0;
  });
}

function ipv4ToInt(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    const n = Number(part);
    if (part === '' || !Number.isInteger(n) || n < 0 || n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}
