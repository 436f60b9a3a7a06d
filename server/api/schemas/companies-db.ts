/**
 * The AdGuard companies database (CC BY-SA 4.0) that names trackers: the copy shipped with tracksink, or
 * a newer one downloaded from its publisher, and updating it. It only names; it never blocks anything.
 */
import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

export const CompaniesDbStatus = Type.Object({
  imported: Nullable(
    Type.Object({
      /** The database's own "updated" time (ISO 8601), as its authors set it. */
      timeUpdated: Type.String(),
      trackers: Type.Integer(),
      domains: Type.Integer(),
      companies: Type.Integer(),
      /** `shipped`: the copy that comes with tracksink; `refreshed`: a newer one downloaded since. */
      origin: Type.Enum(['shipped', 'refreshed'] as const),
      /** Why the refreshed copy could not be used (the shipped one serves instead), else null. */
      problem: Nullable(Type.String()),
    }),
  ),
  /** The last update that was refused (the copy in use stayed), and why; null after a good one. */
  lastRefusal: Nullable(Type.Object({ at: Type.String(), message: Type.String() })),
  /** Shown wherever its data is: the licence asks for it. */
  attribution: Type.String(),
  licence: Type.String(),
  /** Where an import downloads from unless the request names other URLs. */
  defaults: Type.Object({ trackers: Type.String(), companies: Type.String() }),
});
export type CompaniesDbStatus = Static<typeof CompaniesDbStatus>;

const HttpUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048, description: 'http(s) URL' });

export const CompaniesDbImportBody = Type.Object(
  {
    trackers: Type.Optional(HttpUrl),
    companies: Type.Optional(HttpUrl),
  },
  { additionalProperties: false },
);
export type CompaniesDbImportBody = Static<typeof CompaniesDbImportBody>;
