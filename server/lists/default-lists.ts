/**
 * Which lists a tracksink subscribes to by itself: the defaults of a new install (once), the extra sources
 * of the config file and environment (lists.extra), and the built-in public-resolver list, which follows
 * dns.blockPublicResolvers. Rows only: the list manager loads them.
 */
import type { Logger } from '../logger.js';
import type { ListRow, ListsRepo } from '../store/repos/lists-repo.js';
import type { SettingsRepo } from '../store/repos/settings-repo.js';
import { DEFAULTS_APPLIED_KEY } from './list-manager-types.js';
import {
  BUILTIN_CATALOG,
  BUILTIN_PUBLIC_RESOLVERS,
  STEVENBLACK_UNIFIED,
  defaultListName,
  normaliseSource,
} from './list-source.js';

/** A new install gets the built-in catalog list and StevenBlack unified hosts, once (never again). */
export function subscribeDefaults(
  state: Pick<SettingsRepo, 'get' | 'set'>,
  repo: ListsRepo,
  defaults: boolean,
): void {
  const applied = state.get(DEFAULTS_APPLIED_KEY) !== undefined;
  if (defaults && !applied && repo.all().length === 0) {
    repo.insert({
      name: defaultListName(BUILTIN_CATALOG),
      source: BUILTIN_CATALOG,
      format: 'adblock',
      builtin: true,
    });
    repo.insert({ name: defaultListName(STEVENBLACK_UNIFIED), source: STEVENBLACK_UNIFIED, format: 'hosts' });
  }
  if (!applied) state.set(DEFAULTS_APPLIED_KEY, true);
}

/** Subscribes each lists.extra source not subscribed yet; a bad one is logged and skipped. */
export function subscribeExtra(
  repo: ListsRepo,
  extra: readonly string[],
  logger: Pick<Logger, 'warn'>,
): void {
  for (const input of extra) {
    let source: string;
    try {
      source = normaliseSource(input);
    } catch (error) {
      logger.warn({ source: input }, `lists.extra: ${(error as Error).message}`);
      continue;
    }
    if (!repo.bySource(source)) repo.insert({ name: defaultListName(source), source });
  }
}

/** Makes the built-in public-resolver list's row follow `block`; returns the row (if any). */
export function syncPublicResolversRow(repo: ListsRepo, block: boolean): ListRow | undefined {
  const resolvers = repo.bySource(BUILTIN_PUBLIC_RESOLVERS);
  if (!resolvers && block) {
    return repo.insert({
      name: defaultListName(BUILTIN_PUBLIC_RESOLVERS),
      source: BUILTIN_PUBLIC_RESOLVERS,
      format: 'adblock',
      builtin: true,
    });
  }
  if (resolvers && resolvers.enabled !== block) return repo.update(resolvers.id, { enabled: block });
  return resolvers;
}
