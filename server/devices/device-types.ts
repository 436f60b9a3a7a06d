/** The kinds of device a household can set (the API's enum and the registry's check share this list). */
export const DEVICE_TYPES = [
  'unknown',
  'phone',
  'tablet',
  'laptop',
  'desktop',
  'tv',
  'speaker',
  'console',
  'camera',
  'iot',
  'router',
  'other',
] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];
