import { Type, type Static } from 'typebox';

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('starting'), Type.Literal('degraded')]),
  version: Type.String(),
  dns: Type.Object({
    udp: Type.Union([Type.String(), Type.Null()], { description: 'host:port DNS listens on over UDP' }),
    tcp: Type.Union([Type.String(), Type.Null()]),
    /** With dns.workers > 1: DNS threads planned and answering, and restarts of stopped ones since start. */
    threads: Type.Optional(
      Type.Object({ planned: Type.Integer(), running: Type.Integer(), restarts: Type.Integer() }),
    ),
  }),
  lists: Type.Object({ entries: Type.Integer(), loaded: Type.Boolean() }),
  log: Type.Object({
    written: Type.Integer(),
    dropped: Type.Integer(),
    error: Type.Union([Type.String(), Type.Null()]),
  }),
  uptime: Type.Number({ description: 'Seconds since start' }),
  /** Present with TRACKSINK_DATABASE_URL: this replica's name and its PostgreSQL. */
  replica: Type.Optional(
    Type.Object({
      name: Type.String(),
      database: Type.String({ description: 'user@host:port/database (never the password)' }),
      reachable: Type.Boolean(),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  /** Why the status is "degraded", one entry per cause, each with a sentence for people. */
  problems: Type.Array(
    Type.Object({
      kind: Type.Union([
        Type.Literal('list'),
        Type.Literal('log'),
        Type.Literal('encrypted-dns'),
        Type.Literal('database'),
        Type.Literal('dns-thread'),
      ]),
      /** The list's name (kind "list"). */
      list: Type.Optional(Type.String()),
      source: Type.Optional(Type.String()),
      reason: Type.String({ description: 'The error as recorded' }),
      /** The default blocklist a new install subscribes to. */
      main: Type.Optional(Type.Boolean()),
      message: Type.String({ description: 'What it means, in words' }),
    }),
  ),
});
export type Health = Static<typeof Health>;
