/** Blocklist subscriptions and their refresh progress. */
import { Type, type Static } from 'typebox';
import { LIST_FORMAT_SETTINGS } from '../../filter/list-types.js';
import { Nullable } from './common.js';

export const ListFormat = Type.Enum(LIST_FORMAT_SETTINGS);
export const ListKind = Type.Enum(['block', 'allow'] as const);

export const List = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  source: Type.String({ description: 'http(s) URL or a file path on the server' }),
  format: Type.String(),
  kind: ListKind,
  enabled: Type.Boolean(),
  builtin: Type.Boolean(),
  entries: Type.Integer(),
  invalidLines: Type.Integer(),
  lastRefresh: Nullable(Type.Integer()),
  lastSuccess: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  refreshing: Type.Boolean(),
});
export type List = Static<typeof List>;

export const ListList = Type.Object({
  items: Type.Array(List),
  totalEntries: Type.Integer({ description: 'Entries in the active matcher' }),
});
export type ListList = Static<typeof ListList>;

export const ListCreateBody = Type.Object(
  {
    source: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL or absolute file path' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    format: Type.Optional(ListFormat),
    kind: Type.Optional(ListKind),
  },
  { additionalProperties: false },
);
export type ListCreateBody = Static<typeof ListCreateBody>;

export const ListUpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    enabled: Type.Optional(Type.Boolean()),
    format: Type.Optional(ListFormat),
    kind: Type.Optional(ListKind),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ListUpdateBody = Static<typeof ListUpdateBody>;

export const RefreshProgress = Type.Object({
  listId: Type.Integer(),
  phase: Type.Enum(['waiting', 'downloading', 'parsing', 'done', 'failed'] as const),
  bytes: Type.Integer(),
  entries: Type.Integer(),
  error: Nullable(Type.String()),
});
export type RefreshProgress = Static<typeof RefreshProgress>;

/** A refresh runs in the background: poll `GET /api/lists/refresh/:job` (or listen to its SSE stream). */
export const RefreshJob = Type.Object({
  job: Type.String(),
  state: Type.Enum(['running', 'done', 'failed'] as const),
  startedAt: Type.Integer(),
  finishedAt: Nullable(Type.Integer()),
  lists: Type.Array(RefreshProgress),
  error: Nullable(Type.String()),
});
export type RefreshJob = Static<typeof RefreshJob>;

export const RefreshJobParams = Type.Object({ job: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
export type RefreshJobParams = Static<typeof RefreshJobParams>;
