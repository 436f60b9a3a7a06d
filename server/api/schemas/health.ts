import { Type, type Static } from 'typebox';

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('starting'), Type.Literal('degraded')]),
  version: Type.String(),
  dns: Type.Object({
    udp: Type.Union([Type.String(), Type.Null()], { description: 'host:port DNS listens on over UDP' }),
    tcp: Type.Union([Type.String(), Type.Null()]),
  }),
  lists: Type.Object({ entries: Type.Integer(), loaded: Type.Boolean() }),
  log: Type.Object({
    written: Type.Integer(),
    dropped: Type.Integer(),
    error: Type.Union([Type.String(), Type.Null()]),
  }),
  uptime: Type.Number({ description: 'Seconds since start' }),
});
export type Health = Static<typeof Health>;
