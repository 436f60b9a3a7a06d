/**
 * The contract between the DNS pipeline and device identity: a synchronous, in-memory lookup from the
 * client address to a device id. Unknown addresses must be handled without waiting (return 0 or a fresh
 * provisional id, and resolve MAC/name in the background).
 */
export interface DeviceResolver {
  deviceIdFor(address: string): number;
}

export const noDevices: DeviceResolver = { deviceIdFor: () => 0 };
