/** The list manager's shapes: options, progress and summaries, views, inputs, errors. */
import { LIST_FORMAT_SETTINGS, type ParsedList } from '../filter/list-types.js';
import type { CompanyPolicy } from '../filter/profile-state.js';
import type { ListInput, ListMatcher } from '../filter/matcher.js';
import type { Logger } from '../logger.js';
import type {
  ListAssignment,
  ListFormatSetting,
  ListKind,
  ListPatch,
  ListRow,
} from '../store/repos/lists-repo.js';
import type { Db } from '../store/sqlite.js';
import type { Attribution } from '../trackers/attribution.js';
import type { Catalog } from '../trackers/catalog.js';
import type { AcceptPolicy } from './accept-list.js';
import type { SharedListFetch } from './shared-fetch.js';
import type { ListSourcePolicy } from './source-policy.js';

/** What ListManager needs of the policy (PolicyEngine implements it). */
export interface ListPolicyTarget {
  setLists(matcher: ListMatcher): void;
  setAttribution(attribution: Attribution): void;
  setCompanyPolicies(policies: Map<number, CompanyPolicy>): void;
  /** Attribution-based catalog blocking follows the built-in catalog list (enabled, and its id). */
  setCatalogBlocking?(enabled: boolean, catalogListId?: number): void;
}

/** Builds the one matcher that holds every enabled list (filter/matcher.ts; tests pass their own). */
export type MatcherBuilder = (lists: ListInput[]) => ListMatcher;

/** Settings key: the default lists were subscribed once (travels with a backup). */
export const DEFAULTS_APPLIED_KEY = 'state.lists.defaultsApplied';

export interface ListManagerOptions {
  db: Db;
  dataDir: string;
  policy: ListPolicyTarget;
  catalog: Catalog;
  logger: Logger;
  refreshHours: number;
  fetchTimeoutMs?: number;
  /** Largest list accepted (bytes); default 64 MiB. */
  maxBytes?: number;
  /** dns.blockPublicResolvers: enables the built-in public-resolver list. */
  blockPublicResolvers?: boolean;
  /** How often to look for lists due a refresh (default 10 minutes). */
  checkIntervalMs?: number;
  acceptPolicy?: AcceptPolicy;
  /** Never download: start() loads only on-disk copies, refresh() reports failure (explain CLI). */
  offline?: boolean;
  /** Override the filter's buildMatcher (tests). */
  buildMatcher?: MatcherBuilder;
  /**
   * Where lists may come from (source-policy.ts). Default: local files only in `<dataDir>/lists-local`,
   * no http(s) list on a local or private address, nothing trusted.
   */
  sources?: ListSourcePolicy;
  /** Replicas on PostgreSQL: URL lists are downloaded once for all of them (shared-fetch.ts). */
  shared?: SharedListFetch;
}

export type RefreshProgress =
  | { listId: number; name: string; phase: 'bytes'; bytes: number; expected: number | null }
  | { listId: number; name: string; phase: 'entries'; entries: number; invalidLines: number };

export type RefreshStatus = 'updated' | 'not-modified' | 'failed';

export interface ListSummary {
  listId: number;
  name: string;
  status: RefreshStatus;
  /** Entries of the copy in use after the refresh. */
  entries: number;
  invalidLines: number;
  durationMs: number;
  bytes: number;
  error: string | null;
}

export interface ListView extends ListRow {
  assignment: ListAssignment;
  /** A copy of this list is in the matcher now. */
  loaded: boolean;
}

export interface AddListInput {
  source: string;
  name?: string;
  format?: ListFormatSetting;
  kind?: ListKind;
  enabled?: boolean;
}

export interface UpdateListInput extends ListPatch {
  assignment?: ListAssignment;
}

/** Checks the user-given fields of a list; throws ListError ('invalid') naming the field. */
export function checkListPatch(patch: { format?: unknown; kind?: unknown; name?: unknown }): void {
  if (patch.format !== undefined && !(LIST_FORMAT_SETTINGS as readonly unknown[]).includes(patch.format)) {
    throw new ListError(
      `format must be one of ${LIST_FORMAT_SETTINGS.join(', ')}, got ${JSON.stringify(patch.format)}`,
      'invalid',
    );
  }
  if (patch.kind !== undefined && patch.kind !== 'block' && patch.kind !== 'allow') {
    throw new ListError(`kind must be 'block' or 'allow', got ${JSON.stringify(patch.kind)}`, 'invalid');
  }
  if (patch.name !== undefined && (typeof patch.name !== 'string' || patch.name.trim() === '')) {
    throw new ListError('name must be a non-empty string', 'invalid');
  }
}

export class ListError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'invalid' | 'conflict',
  ) {
    super(message);
    this.name = 'ListError';
  }
}

/** One list in memory: its parsed form and how it was parsed. */
export interface Loaded {
  parsed: ParsedList;
  /** The format it was parsed with (a changed format means parsing again). */
  format: ListRow['format'];
  /** Text of built-in lists (generated, not cached on disk). */
  text: string | null;
}
