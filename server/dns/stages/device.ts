/**
 * Device stage: which device asked. The transport may know it already (a ClientID in encrypted DNS);
 * otherwise the device registry maps the client address (a Map read, never a lookup on the network).
 * Never answers: every later stage and the log see `ev.deviceId`.
 */
import type { DeviceResolver } from '../../events/device-resolver.js';
import { NEXT, type QueryContext, type Stage, type StageResult } from './stage.js';

export class DeviceStage implements Stage {
  constructor(private readonly devices: DeviceResolver) {}

  run(t: QueryContext): StageResult {
    t.ev.deviceId = t.knownDeviceId >= 0 ? t.knownDeviceId : this.devices.deviceIdFor(t.ev.clientAddress);
    return NEXT;
  }
}
