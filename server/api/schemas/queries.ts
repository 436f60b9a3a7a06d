/** The query log: a page newest first with filters and a keyset cursor, and the live tail over SSE. */
import { Type, type Static } from 'typebox';
import { CompanyRef, DeviceRef, NameKindName, Nullable, StatusName } from './common.js';

export const QueryFilter = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,19}$', description: 'nextCursor of the previous page' }),
    ),
    device: Type.Optional(Type.Integer({ minimum: 0 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Substring of the name' })),
    status: Type.Optional(StatusName),
    company: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Company key' })),
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch, inclusive' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch, exclusive' })),
  },
  { additionalProperties: false },
);
export type QueryFilter = Static<typeof QueryFilter>;

export const QueryRow = Type.Object({
  id: Type.String({ description: 'Log row id (a string: it may exceed 2^53 in theory)' }),
  time: Type.Integer({ description: 'ms since the epoch' }),
  name: Type.String({ description: 'Untrusted text from DNS traffic; "" when names are hidden' }),
  type: Type.String({ description: 'Query type, e.g. A, AAAA, HTTPS, or TYPE123' }),
  status: StatusName,
  reason: Type.String({ description: 'list, local-deny, local-allow, company-policy, cname, paused …' }),
  why: Type.String({
    description:
      'Status and reason in words for people ("Allowed by your rule for this phone", "Blocked: known Pinterest advertising tracker"); "" for an ordinary answer',
  }),
  /** The list or rule that decided, when there was one. */
  list: Nullable(Type.Object({ id: Type.Integer(), name: Type.String(), line: Type.Integer() })),
  ruleId: Nullable(Type.Integer()),
  /** Reason `schedule`: which schedule, in words ("the Kids profile's schedule “School nights”"). */
  schedule: Type.Optional(Type.String()),
  cnameTarget: Nullable(Type.String()),
  device: Nullable(DeviceRef),
  client: Nullable(Type.String()),
  company: Nullable(CompanyRef),
  /** Tracker endpoint (counted as a tracking attempt), a company's service, or unknown. */
  kind: NameKindName,
  category: Nullable(Type.String()),
  app: Nullable(Type.String()),
  protocol: Type.String(),
  rcode: Type.Integer(),
  durationUs: Type.Integer(),
  upstream: Nullable(Type.String()),
});
export type QueryRow = Static<typeof QueryRow>;

export const QueryPage = Type.Object({
  items: Type.Array(QueryRow),
  nextCursor: Nullable(Type.String({ description: 'Pass as ?cursor= for older rows; null at the end' })),
});
export type QueryPage = Static<typeof QueryPage>;

/** `GET /api/queries/live` sends `event: query` with one QueryRow as data per logged query. */
export const LiveQuery = QueryRow;

export const CsvQuery = Type.Object(
  {
    ...QueryFilter.properties,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, default: 10000 })),
  },
  { additionalProperties: false },
);
