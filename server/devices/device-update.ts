/** What the dashboard may change on a device, checked before anything is written (the registry's update). */
import type { QueryLogMode } from '../config/schema.js';
import type { DevicesRepo } from '../store/repos/devices-repo.js';
import { DEVICE_TYPES } from './device-types.js';

/** Longest device name kept (a name is a label, not a note). */
export const MAX_DEVICE_NAME = 64;

export interface DeviceUpdate {
  name?: string | null;
  type?: string;
  groupIds?: number[];
  pausedUntil?: number | null;
  privacy?: QueryLogMode | null;
}

/** The repository's fields for an update; throws an error that names the field when a value is bad. */
export function deviceFields(update: DeviceUpdate): Parameters<DevicesRepo['update']>[1] {
  const fields: Parameters<DevicesRepo['update']>[1] = {};
  if (update.name !== undefined) {
    if (update.name !== null && typeof update.name !== 'string')
      throw new Error('device name must be a string or null');
    const name = update.name === null ? null : update.name.trim();
    if (name !== null && name.length > MAX_DEVICE_NAME)
      throw new Error(`device name is too long (${name.length} characters, at most ${MAX_DEVICE_NAME})`);
    fields.name = name === '' ? null : name;
  }
  if (update.type !== undefined) {
    if (!(DEVICE_TYPES as readonly string[]).includes(update.type)) {
      throw new Error(`device type must be one of ${DEVICE_TYPES.join(', ')}; got "${update.type}"`);
    }
    fields.type = update.type;
  }
  if (update.pausedUntil !== undefined) {
    if (update.pausedUntil !== null && !Number.isFinite(update.pausedUntil)) {
      throw new Error('pausedUntil must be a time in ms since the epoch, or null');
    }
    fields.pausedUntil = update.pausedUntil;
  }
  if (update.privacy !== undefined) {
    if (update.privacy !== null && !['all', 'hide-names', 'none'].includes(update.privacy)) {
      throw new Error(`privacy must be all, hide-names, none or null; got "${String(update.privacy)}"`);
    }
    fields.privacy = update.privacy;
  }
  return fields;
}
