/** Where an app runs, as the app catalog and the API name it (the dashboard words them for people). */
export const APP_PLATFORMS = [
  'phone',
  'tablet',
  'web',
  'desktop',
  'tv',
  'console',
  'speaker',
  'watch',
  'car',
  'iot',
] as const;
export type AppPlatform = (typeof APP_PLATFORMS)[number];
