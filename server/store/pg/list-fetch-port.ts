/**
 * The shape of the shared record of list downloads (issue 18), kept on the store's side so the store does
 * not import from lists/ (the folders are layered): lists/shared-fetch.ts uses it, store/pg/list-fetch.ts
 * implements it in PostgreSQL.
 */
/** A downloaded list as stored for the others (the body without a BOM, as the list cache keeps it). */
export interface SharedCopy {
  body: Uint8Array;
  hash: string;
  etag: string | null;
  lastModified: string | null;
}

export type SharedClaim =
  /** This replica holds the lease: download, then `store` or `touch` (or `release` on failure). */
  | { kind: 'download'; hash: string | null }
  /** The stored copy is fresh enough: take it (if its hash differs from ours) instead of downloading. */
  | { kind: 'stored'; hash: string; checkedAt: number }
  /** Another replica is downloading it now. */
  | { kind: 'wait'; holder: string; checkedAt: number | null };

/** The shared record of list downloads (PgListFetch in store/pg/list-fetch.ts). Times are the database's. */
export interface SharedListFetch {
  /**
   * Takes the lease, or says why not. The stored copy is fresh when it was checked within `maxAgeMs`, or
   * after `seenCheckedAt` (a result that arrived while this replica waited; null on the first claim).
   */
  claim(source: string, maxAgeMs: number, seenCheckedAt: number | null): Promise<SharedClaim>;
  renew(source: string): Promise<void>;
  /** Stores a new copy, ends the lease and tells the other replicas when the content changed. */
  store(source: string, copy: SharedCopy): Promise<void>;
  /** "Not modified": the stored copy was checked now; ends the lease. */
  touch(source: string): Promise<void>;
  release(source: string): Promise<void>;
  read(source: string): Promise<SharedCopy | null>;
}

export const LEASE_MS = 10_000;
