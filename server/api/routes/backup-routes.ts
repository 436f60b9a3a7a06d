/** GET /api/export and POST /api/import: the whole configuration as one JSON file. */
import { BackupImportError, exportConfiguration, importConfiguration } from '../../backup/backup-service.js';
import { loadPolicyState } from '../../filter/policy-sync.js';
import { sourcePolicyFor } from '../../lists/source-policy.js';
import type { App, RouteContext } from '../context.js';
import { badRequest } from '../http/errors.js';
import { BackupFile, ImportResult } from '../schemas/backup.js';
import { ErrorResponse } from '../schemas/common.js';

export function backupRoutes(app: App, context: RouteContext): void {
  const { deps } = context;
  app.get(
    '/api/export',
    { schema: { tags: ['backup'], response: { 200: BackupFile } } },
    async (_request, reply) => {
      const file = exportConfiguration(deps.repos.backup, context.now());
      const day = new Date(file.exportedAt).toISOString().slice(0, 10);
      reply.header('content-disposition', `attachment; filename="tracksink-backup-${day}.json"`);
      return file;
    },
  );

  app.post(
    '/api/import',
    {
      // Validated by checkBackupFile (same code as the CLI) so both give the same messages.
      schema: {
        tags: ['backup'],
        body: { type: 'object' },
        response: { 200: ImportResult, 400: ErrorResponse },
      },
    },
    async (request) => {
      let imported;
      try {
        // List sources are held to the running server's rules (lists.fileDir, lists.allowPrivateUrls).
        imported = importConfiguration(deps.repos.backup, request.body, {
          listSources: sourcePolicyFor(deps.config),
        });
      } catch (error) {
        if (error instanceof BackupImportError) throw badRequest(error.message);
        throw error;
      }
      if (deps.policy)
        loadPolicyState({
          rules: deps.repos.rules,
          settings: deps.repos.settings,
          policy: deps.policy,
          devices: deps.devices,
          now: context.now(),
          logger: deps.logger,
        });
      // The modules hold what they loaded from tracksink.db: reload them, or say a restart is needed.
      if (!deps.reloadAll) return { imported, restartRecommended: true, restartNeeded: [] };
      context.settingsService.noteRestartNeeded(await deps.reloadAll());
      const restartNeeded = context.settingsService.restartNeeded();
      return { imported, restartRecommended: restartNeeded.length > 0, restartNeeded };
    },
  );
}
