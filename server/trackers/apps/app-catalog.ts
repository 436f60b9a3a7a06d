/**
 * The app catalog (blocklists/apps/*.yaml): which app a DNS name belongs to, by the app's own API and CDN
 * host names, and which app an iOS bundle id is. Loaded once at start-up and checked whole: a malformed
 * entry refuses the catalog with the file and line of every problem.
 *
 * Matching is a longest-suffix look-up in a SuffixIndex (typed arrays, no allocation per look-up), so a
 * more specific host of one app (music.youtube.com) wins over a shorter one of another (youtube.com).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { blocklistsDir } from '../../paths.js';
import { readPrebuilt } from '../prebuilt.js';
import { SuffixIndex } from '../suffix-index.js';
import { type AppEntry, checkAppFile } from './app-catalog-schema.js';

export type { AppEntry, AppPlatform } from './app-catalog-schema.js';
export { APP_PLATFORMS } from './app-catalog-schema.js';

/** The shipped catalog's folder. */
export const appsDir = join(blocklistsDir, 'apps');

/** A malformed app catalog: every problem names the file and line. */
export class AppCatalogError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid app catalog:\n  - ${problems.join('\n  - ')}`);
    this.name = 'AppCatalogError';
  }
}

export class AppCatalog {
  private readonly index: SuffixIndex;
  private readonly byKeyMap: Map<string, AppEntry>;
  private readonly byBundle: Map<string, AppEntry>;

  constructor(readonly apps: readonly AppEntry[]) {
    this.byKeyMap = new Map(apps.map((app) => [app.key, app]));
    this.byBundle = new Map(
      apps.flatMap((app) => app.bundleIds.map((id) => [id.toLowerCase(), app] as const)),
    );
    this.index = new SuffixIndex(apps.flatMap((app, i) => app.hosts.map((host) => [host, i] as const)));
  }

  /** Index (into `apps`) of the app whose host is the longest suffix of `name`, or -1. Never allocates. */
  indexOf(name: string): number {
    return this.index.lookup(name);
  }

  match(name: string): AppEntry | undefined {
    const i = this.index.lookup(name);
    return i < 0 ? undefined : this.apps[i];
  }

  byKey(key: string): AppEntry | undefined {
    return this.byKeyMap.get(key);
  }

  /** The app of an iOS bundle id (case-insensitive), if the catalog knows it. */
  byBundleId(bundleId: string): AppEntry | undefined {
    return this.byBundle.get(bundleId.toLowerCase());
  }

  /** Host names the catalog lists (each also covering its subdomains). */
  get hostCount(): number {
    return this.apps.reduce((sum, app) => sum + app.hosts.length, 0);
  }
}

/** Name of the checked entries' prebuilt form in dist/catalog/ (trackers/build-prebuilt.ts writes it). */
export const APPS_PREBUILT = 'apps.json';

/** The app files of `dir` (the prebuilt entries' freshness is a hash over them). */
export function appCatalogFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
      .sort()
      .map((file) => join(dir, file));
  } catch (error) {
    throw new AppCatalogError([
      `${dir}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    ]);
  }
}

/**
 * Reads every `*.yaml` in `dir` (default: the shipped blocklists/apps). Throws AppCatalogError listing
 * every problem: malformed files, and keys, hosts or bundle ids claimed by two entries. The build's
 * prebuilt entries (trackers/prebuilt.ts) are used while they were made from exactly these files.
 */
export function loadAppCatalog(
  dir: string = appsDir,
  options: { prebuilt?: boolean; prebuiltDir?: string } = {},
): AppCatalog {
  const root = join(dir, '..', '..');
  const files = appCatalogFiles(dir);
  const prebuilt =
    options.prebuilt === false
      ? null
      : readPrebuilt<AppEntry[]>(APPS_PREBUILT, files, root, options.prebuiltDir);
  return new AppCatalog(prebuilt ?? readAppEntries(dir, files));
}

/** The checked entries of the app files (AppCatalogError listing every problem). */
export function readAppEntries(dir: string, files: readonly string[] = appCatalogFiles(dir)): AppEntry[] {
  const problems: string[] = [];
  const root = join(dir, '..', '..');
  const apps: AppEntry[] = [];
  for (const path of files) {
    const file = relative(root, path) || path;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      problems.push(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      continue;
    }
    apps.push(...checkAppFile(file, text, problems));
  }
  const seen = {
    key: new Map<string, AppEntry>(),
    host: new Map<string, AppEntry>(),
    bundle: new Map<string, AppEntry>(),
  };
  const claim = (what: keyof typeof seen, value: string, app: AppEntry): void => {
    const first = seen[what].get(value);
    if (first && first !== app) {
      problems.push(
        `${app.file}:${app.line}: app '${app.key}': ${what} ${JSON.stringify(value)} is already claimed by app '${first.key}' (${first.file}:${first.line})`,
      );
    } else seen[what].set(value, app);
  };
  for (const app of apps) {
    claim('key', app.key, app);
    for (const host of app.hosts) claim('host', host, app);
    for (const id of app.bundleIds) claim('bundle', id.toLowerCase(), app);
  }
  if (problems.length > 0) throw new AppCatalogError(problems);
  if (apps.length === 0) throw new AppCatalogError([`${dir}: no apps found`]);
  return apps;
}

let shipped: AppCatalog | null = null;

/** The shipped catalog, loaded on first use and then shared (it never changes while running). */
export function shippedAppCatalog(): AppCatalog {
  shipped ??= loadAppCatalog();
  return shipped;
}
