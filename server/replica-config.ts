/**
 * The wiring of configuration replication (store/pg/config-replication.ts) for services.ts: the shared
 * document is the backup document (api/backup/backup-service.ts), imported with the same checks as a
 * backup file; after a replica's change arrives, the modules reload as after an import.
 */
import { checkBackupFile, exportConfiguration, importConfiguration } from './backup/backup-service.js';
import { joinReplicaDuplicates } from './devices/replica-duplicates.js';
import type { Logger } from './logger.js';
import type { SharedListFetch } from './lists/shared-fetch.js';
import { ConfigReplication, sqliteChangeCounter } from './store/pg/config-replication.js';
import { LISTS_CHANNEL, PgListFetch } from './store/pg/list-fetch.js';
import { SESSIONS_CHANNEL, SharedAuthRepo } from './store/pg/shared-sessions.js';
import type { PgBackend } from './store/pg/pg-backend.js';
import { BackupRepo } from './store/repos/backup-repo.js';
import { useDeviceIdBlock } from './store/repos/device-aliases-repo.js';
import type { Db } from './store/sqlite.js';

export interface ReplicaConfig {
  replication: ConfigReplication;
  /** Starts following the other replicas; `reload` makes the modules read tracksink.db again. */
  start(reload: () => Promise<void>): void;
  /** List downloads shared with the other replicas (lists/shared-fetch.ts, store/pg/list-fetch.ts). */
  lists: SharedListFetch;
  /** A new list copy another replica downloaded is taken by `lists.takeShared` (from start() on). */
  followLists(lists: { takeShared(source: string): void }): void;
  /** The API's AuthRepo: dashboard sessions shared with the other replicas (store/pg/shared-sessions.ts). */
  auth: SharedAuthRepo;
  stop(): Promise<void>;
}

/** Before the modules read tracksink.db: take the shared configuration, or share this one. */
export async function openReplicaConfig(options: {
  pg: PgBackend;
  configDb: Db;
  logger: Logger;
}): Promise<ReplicaConfig> {
  const { pg, configDb, logger } = options;
  // New devices get numbers no other replica gives (store/repos/device-aliases-repo.ts).
  if (!useDeviceIdBlock(configDb, pg.number)) {
    logger.warn(
      { replica: pg.replica, number: pg.number },
      'no block of device numbers for this replica: new devices may share a number with another replica',
    );
  }
  const backup = new BackupRepo(configDb);
  /** Imports a shared document, one device for each that two replicas numbered (devices/replica-duplicates.ts). */
  const importShared = (data: Record<string, unknown>): void => {
    const joined = joinReplicaDuplicates(checkBackupFile(data));
    for (const [from, into] of joined.joined) {
      logger.info(
        { component: 'replication', from, into },
        'one device numbered on two replicas: joined into the lower number',
      );
    }
    // No list-source check here, unlike a backup import: a list file another replica reads from its own disk
    // (TRACKSINK_BLOCKLISTS) lies outside this replica's lists.fileDir, and refusing the whole version for
    // it refused every device and change made with it too. The list is kept; loading it checks this
    // replica's source policy (fetch-list.ts), so it shows as unreadable here and nothing outside
    // lists.fileDir is read.
    importConfiguration(backup, joined.data);
  };
  let reload: (() => Promise<void>) | null = null;
  const replication = new ConfigReplication({
    pool: pg.pool,
    target: pg.target,
    replica: pg.replica,
    changes: sqliteChangeCounter(configDb),
    log: (level, message) => logger[level]({ component: 'replication' }, message),
    ports: {
      exportLocal: () => exportConfiguration(backup) as unknown as Record<string, unknown>,
      apply: async (data) => {
        importShared(data);
        await reload?.();
      },
    },
  });
  try {
    const outcome = await replication.startup(importShared);
    logger.info({ replica: pg.replica, configuration: outcome }, 'configuration shared through PostgreSQL');
  } catch (error) {
    // A shared document this replica cannot take (say, a rule for a group it does not know): it keeps
    // its own configuration and says why; the next change is tried again.
    logger.error(
      { component: 'replication' },
      `the shared configuration could not be taken at start: ${(error as Error).message}; this replica starts from its own`,
    );
  }
  const auth = new SharedAuthRepo(configDb, pg.pool, pg.replica, (message) =>
    logger.warn({ component: 'replication' }, message),
  );
  replication.onNotification(SESSIONS_CHANNEL, (from) => {
    if (from !== pg.replica) auth.changedElsewhere();
  });
  return {
    replication,
    auth,
    stop: async () => {
      await auth.stop();
      await replication.stop();
    },
    lists: new PgListFetch(pg.pool, pg.replica),
    followLists: (lists) => {
      replication.onNotification(LISTS_CHANNEL, (payload) => {
        // "<replica> <source>"; a replica's own downloads are already in use there.
        const space = payload.lastIndexOf(' ');
        if (space > 0 && payload.slice(0, space) !== pg.replica) lists.takeShared(payload.slice(space + 1));
      });
    },
    start: (next) => {
      reload = next;
      replication.start();
      auth.start();
    },
  };
}
