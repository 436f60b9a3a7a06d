/** Every API schema and type; the dashboard imports types from here (`import type`). */
export * from './common.js';
export * from './auth.js';
export * from './health.js';
export * from './stats.js';
export * from './devices.js';
export * from './groups.js';
export * from './trackers.js';
export * from './queries.js';
export * from './lists.js';
export * from './rules.js';
export * from './explain.js';
export * from './pause.js';
export * from './settings.js';
export * from './setup.js';
export * from './backup.js';
export * from './companies-db.js';
export * from './apps.js';
