/**
 * The tracker catalog as the rest of the server sees it: companies, categories, apps/services and
 * endpoints, each with a stable numeric id (kept in tracksink.db so the query log's ids stay meaningful).
 */

/** `tracking`: safe to block. `dual-use`: the company's own app needs it too (blocking breaks the app). */
export type EndpointUse = 'tracking' | 'dual-use';

export interface CatalogCategory {
  id: number;
  key: string;
  name: string;
  /** The category's purpose is following people (advertising, analytics …). */
  tracking: boolean;
  description: string;
}

export interface CatalogCompany {
  id: number;
  key: string;
  /** The name people know (a brand such as "AppLovin (MoPub)" or "LiveRamp"). */
  name: string;
  /** Display name of the current owner when it differs from `name` (shown as secondary text), else null. */
  owner: string | null;
  website: string;
  source: string;
  /** Category of the company's own domains (those not covered by a more specific app or endpoint). */
  categoryKey: string;
  /** Company-level domains (corporate sites, shared infrastructure). */
  domains: readonly string[];
  /** `catalog` for the project's curated files (incl. brands in trackerdb/overrides.yaml), `companiesdb` for the AdGuard database. */
  origin: 'catalog' | 'companiesdb';
}

export interface CatalogApp {
  id: number;
  key: string;
  name: string;
  companyKey: string;
  categoryKey: string;
  domains: readonly string[];
  source: string;
}

export interface CatalogEndpoint {
  domain: string;
  use: EndpointUse;
  companyKey: string;
  categoryKey: string;
  /** The app this endpoint belongs to, if any. */
  appKey: string | null;
  what: string;
  source: string;
}

export interface PublicResolver {
  domain: string;
  operator: string;
  source: string;
}

/** What the UI must show while the AdGuard companies database is in use (CC BY-SA 4.0): always, since it ships. */
export interface CompaniesDbInfo {
  attribution: string;
  licence: string;
  timeUpdated: string;
  /** `shipped`: the copy in blocklists/trackerdb; `refreshed`: a validated download. */
  origin: 'shipped' | 'refreshed';
  /** Why a refreshed copy is not in use (damaged), or null. */
  problem: string | null;
  trackers: number;
  domains: number;
  companies: number;
}

/** Allocates stable ids; tracksink.db's catalog repository implements it. */
export interface CatalogIdStore {
  /** Returns an id for every key (existing ids kept, new keys get new ids). */
  assign(kind: 'company' | 'category' | 'app', keys: readonly string[]): Map<string, number>;
}
