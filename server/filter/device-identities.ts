/**
 * Feeds the policy engine the device identities `$client=` rules need, while the server runs: the
 * addresses and names of every device. It wraps the device resolver the DNS server uses, so a device
 * seen at a new address is known to `$client` rules from that very query (a Map check per query; the
 * rare new address costs one cache reset), and re-reads names when the registry says they changed
 * (a rename, a merge, names found in leases or reverse DNS, an import).
 */
import type { DeviceResolver } from '../events/device-resolver.js';
import type { DeviceIdentity } from './client-match.js';

/** What the feed reads from the device registry. */
export interface DeviceDirectory extends DeviceResolver {
  list(): Array<{ id: number; userName: string | null; autoName: string | null; addresses: string[] }>;
}

/** What the feed writes into (PolicyEngine). */
export interface IdentitySink {
  setDeviceIdentities(identities: Map<number, DeviceIdentity>): void;
  addDeviceAddress(deviceId: number, address: string): void;
}

export class DeviceIdentityFeed implements DeviceResolver {
  /** address (as the socket wrote it) → device id, as last told to the policy. */
  private known = new Map<string, number>();

  constructor(
    private readonly devices: DeviceDirectory,
    private readonly policy: IdentitySink,
  ) {
    this.sync();
  }

  /** Hot path: the registry's answer, plus a note to the policy when the address is new for the device. */
  deviceIdFor(address: string): number {
    const id = this.devices.deviceIdFor(address);
    if (id !== 0 && this.known.get(address) !== id) {
      this.known.set(address, id);
      this.policy.addDeviceAddress(id, address);
    }
    return id;
  }

  /** Re-reads every device's addresses and names (not on the hot path: after a change). */
  sync(): void {
    const identities = new Map<number, DeviceIdentity>();
    const known = new Map<string, number>();
    for (const device of this.devices.list()) {
      const names = [device.userName, device.autoName].filter((n): n is string => n !== null && n !== '');
      identities.set(device.id, { addresses: device.addresses, names });
      for (const address of device.addresses) known.set(address, device.id);
    }
    this.known = known;
    this.policy.setDeviceIdentities(identities);
  }
}
