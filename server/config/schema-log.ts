/**
 * The `log.*` keys of the configuration table (schema.ts), kept in a file of their own so the table stays
 * under the 450-line bound (tests/unit/architecture).
 */
import type { SchemaNode } from './types.js';

export const logKeys = {
  level: {
    kind: 'string',
    default: 'info',
    oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    env: 'TRACKSINK_LOG_LEVEL',
    why: 'Server log verbosity; no line per query at any level above trace.',
  },
  queries: {
    kind: 'string',
    default: 'all',
    oneOf: ['all', 'hide-names', 'none'],
    why: 'Query log privacy: everything, hide names, or log nothing (as Pi-hole privacy levels).',
  },
  anonymizeClients: {
    kind: 'boolean',
    default: false,
    why: 'Store client addresses with the host part zeroed.',
  },
  retentionDays: {
    kind: 'integer',
    default: 30,
    min: 1,
    max: 3650,
    why: 'Raw query log kept this long; tops and charts use rollups.',
  },
  rollupRetentionDays: {
    kind: 'integer',
    default: 365,
    min: 1,
    max: 3650,
    why: 'Hourly rollups kept this long for long-range charts.',
  },
  writer: {
    kind: 'string',
    default: 'auto',
    oneOf: ['auto', 'main', 'thread'],
    env: 'TRACKSINK_LOG_WRITER',
    why: 'Where the query log is written: "main" in small slices between DNS answers (saves the writer thread\'s ~20 MB; its longest steps, 5-25 ms, then delay DNS answers), "thread" in its own thread; "auto" = thread (bench/GAP.md, inline pass).',
  },
} as const satisfies SchemaNode;
