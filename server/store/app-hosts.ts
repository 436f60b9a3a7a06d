/**
 * What app inference needs of the app catalog, and the form it travels in to the log writer thread.
 *
 * The catalog is YAML checked whole at start-up (trackers/apps/app-catalog.ts); parsing it in the writer
 * thread too cost that isolate ~5 MB of heap (the YAML library, the schema, the entries: measured in
 * `bench:hour` with the footprint probe). The main thread loads it once and posts only the app keys and
 * the hosts with their app's index; the writer builds the same longest-suffix index from them.
 */
import { SuffixIndex } from '../trackers/suffix-index.js';

/** App keys by index, and the app whose host is the longest suffix of a name (-1 none). */
export interface AppNames {
  readonly apps: ReadonlyArray<{ readonly key: string }>;
  indexOf(name: string): number;
}

/** The catalog as a structured-clone message: app keys, and every host with its app's index. */
export interface AppHostTable {
  keys: string[];
  hosts: Array<[string, number]>;
}

export function appHostTable(catalog: {
  readonly apps: ReadonlyArray<{ readonly key: string; readonly hosts: readonly string[] }>;
}): AppHostTable {
  return {
    keys: catalog.apps.map((app) => app.key),
    hosts: catalog.apps.flatMap((app, i) => app.hosts.map((host) => [host, i] as [string, number])),
  };
}

/** The writer thread's look-up, built from an AppHostTable (same matching as AppCatalog.indexOf). */
export class AppHostIndex implements AppNames {
  readonly apps: ReadonlyArray<{ readonly key: string }>;
  private readonly index: SuffixIndex;

  constructor(table: AppHostTable) {
    this.apps = table.keys.map((key) => ({ key }));
    this.index = new SuffixIndex(table.hosts);
  }

  indexOf(name: string): number {
    return this.index.lookup(name);
  }
}
