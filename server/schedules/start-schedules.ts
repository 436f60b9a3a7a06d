/**
 * Builds the schedule timer for services.ts: tracksink.db's schedules and profile policies, names and
 * ids from the tracker catalog (companies, categories) and the app catalog (apps and their hosts).
 */
import type { Logger } from '../logger.js';
import { SchedulesRepo } from '../store/repos/schedules-repo.js';
import type { Db } from '../store/sqlite.js';
import { type AppCatalog, loadAppCatalog } from '../trackers/apps/app-catalog.js';
import type { Catalog } from '../trackers/catalog.js';
import { ScheduleRunner, type SchedulePolicyPort, type Timers } from './schedule-runner.js';

export interface StartSchedulesOptions {
  configDb: Db;
  policy: SchedulePolicyPort;
  /** The catalog in use now (it is replaced when a companies database is imported). */
  catalog: () => Pick<Catalog, 'company' | 'category'>;
  devices: {
    listGroups(): ReadonlyArray<{ id: number; name: string }>;
    get(id: number): { name: string | null } | null;
  };
  appCatalog?: AppCatalog;
  now?: () => number;
  timers?: Timers;
  logger: Pick<Logger, 'warn' | 'info'>;
}

export function startSchedules(options: StartSchedulesOptions): ScheduleRunner {
  let apps: AppCatalog | undefined = options.appCatalog;
  if (apps === undefined) {
    try {
      apps = loadAppCatalog();
    } catch (error) {
      // App inference reports the broken catalog; schedules still block companies and categories.
      options.logger.warn({ err: error }, 'app catalog not loaded: schedules cannot block apps by name');
    }
  }
  const runner = new ScheduleRunner({
    repo: new SchedulesRepo(options.configDb),
    policy: options.policy,
    targets: {
      company: (key) => options.catalog().company(key),
      category: (key) => options.catalog().category(key),
      app: (key) => apps?.byKey(key),
    },
    groups: () => options.devices.listGroups(),
    deviceName: (id) => options.devices.get(id)?.name ?? undefined,
    now: options.now,
    timers: options.timers,
    logger: options.logger,
  });
  runner.refresh();
  return runner;
}
