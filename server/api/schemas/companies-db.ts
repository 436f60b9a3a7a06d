/**
 * The optional AdGuard companies database (CC BY-SA 4.0): what is imported, and importing it again. It
 * widens which names the dashboard can put a company on; it never blocks anything.
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
    }),
  ),
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
