/**
 * List downloads shared by replicas (issue 18: "list downloads happen once, not once per replica"). With
 * PostgreSQL, each list source has one shared record (store/pg/list-fetch.ts): the replica whose refresh
 * finds no fresh copy there takes a lease on the source, downloads, and stores what it accepted; a replica
 * whose refresh comes while the lease is held waits for that result, and one that finds a fresh copy takes
 * it instead of downloading. The lease is renewed while the download runs, so a killed holder's lease runs
 * out within LEASE_MS and the next replica to refresh takes over. Without PostgreSQL none of this runs.
 *
 * Anything that goes wrong with the shared record (PostgreSQL away) falls back to downloading here: a
 * replica's lists never wait on the database for longer than a claim takes to fail.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import {
  LEASE_MS,
  type SharedClaim,
  type SharedCopy,
  type SharedListFetch,
} from '../store/pg/list-fetch-port.js';

export { LEASE_MS, type SharedClaim, type SharedCopy, type SharedListFetch };

const RENEW_MS = 3_000;
const WAIT_POLL_MS = 500;

export function contentHash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** What a refresh does with the shared record. */
export type SharedTurn =
  /** The stored copy, to parse and check like a download. */
  | { kind: 'stored'; copy: SharedCopy }
  /** The stored copy is the one in use here: nothing to do. */
  | { kind: 'same' }
  /**
   * Download here; `done` stores an accepted copy (or the check time), `end` gives the lease back.
   * `conditional`: the stored copy is the one in use here, so its validators may be sent.
   */
  | {
      kind: 'download';
      conditional: boolean;
      done(copy: SharedCopy | 'not-modified'): Promise<void>;
      end(): void;
    };

/**
 * The hash of the copy in use of each list, so a stored copy that is the same is not parsed again. Known
 * after a write; read from the on-disk copy once otherwise.
 */
export class CopyHashes {
  private readonly known = new Map<number, { source: string; hash: string }>();

  set(listId: number, source: string, hash: string): void {
    this.known.set(listId, { source, hash });
  }

  async get(listId: number, source: string, path: string): Promise<string | null> {
    const entry = this.known.get(listId);
    if (entry?.source === source) return entry.hash;
    try {
      const hash = contentHash(await readFile(path));
      this.set(listId, source, hash);
      return hash;
    } catch {
      return null;
    }
  }
}

/**
 * One refresh's turn: claims until this replica may download, a stored copy is fresh, or `waitMs` passed
 * (then it downloads without the lease). Null means "download here, nothing shared" (PostgreSQL away).
 */
export async function takeTurn(options: {
  shared: SharedListFetch;
  source: string;
  maxAgeMs: number;
  waitMs: number;
  localHash: () => Promise<string | null>;
  warn: (message: string) => void;
  isStopped: () => boolean;
}): Promise<SharedTurn | null> {
  const { shared, source } = options;
  const deadline = Date.now() + options.waitMs;
  let seen: number | null = null;
  try {
    for (;;) {
      const claim = await shared.claim(source, options.maxAgeMs, seen);
      if (claim.kind === 'stored') {
        if (claim.hash === (await options.localHash())) return { kind: 'same' };
        const copy = await shared.read(source);
        return copy === null ? null : { kind: 'stored', copy };
      }
      if (claim.kind === 'download') {
        // Validators only for the copy both hold; a first download here fills the shared record.
        const conditional = claim.hash !== null && claim.hash === (await options.localHash());
        return downloadTurn(shared, source, conditional, options.warn);
      }
      seen ??= claim.checkedAt ?? 0;
      if (Date.now() > deadline || options.isStopped()) return null;
      await new Promise((wake) => setTimeout(wake, WAIT_POLL_MS));
    }
  } catch (error) {
    options.warn(`shared list download record not used (${(error as Error).message}); downloading here`);
    return null;
  }
}

function downloadTurn(
  shared: SharedListFetch,
  source: string,
  conditional: boolean,
  warn: (message: string) => void,
): SharedTurn {
  let ended = false;
  const renew = setInterval(() => {
    shared.renew(source).catch(() => {});
  }, RENEW_MS);
  renew.unref();
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(renew);
    shared.release(source).catch(() => {});
  };
  return {
    kind: 'download',
    conditional,
    end,
    done: async (copy) => {
      clearInterval(renew);
      try {
        if (copy === 'not-modified') await shared.touch(source);
        else await shared.store(source, copy);
        ended = true;
      } catch (error) {
        warn(`the downloaded list was not shared with the other replicas: ${(error as Error).message}`);
        end();
      }
    },
  };
}
