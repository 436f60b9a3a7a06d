/**
 * The backup file (GET /api/export, the body of POST /api/import) and what the import answers. The file's
 * schema is defined once, beside the repository that reads and writes it (store/repos/backup-file.ts);
 * it is named here so the generated web types keep its names.
 */
import { Type, type Static } from 'typebox';

export {
  BackupCompanyPolicy,
  BackupDevice,
  BackupFile,
  BackupGroup,
  BackupList,
  BackupProfilePolicy,
  BackupRule,
  BackupSchedule,
} from '../../store/repos/backup-file.js';

export const ImportResult = Type.Object({
  /** True when the running server could not reload everything: restart tracksink to use the import fully. */
  restartRecommended: Type.Boolean(),
  /** Imported settings that take effect after a restart (the rest is in use already). */
  restartNeeded: Type.Array(Type.String()),
  imported: Type.Object({
    settings: Type.Integer(),
    groups: Type.Integer(),
    devices: Type.Integer(),
    lists: Type.Integer(),
    rules: Type.Integer(),
    companyPolicies: Type.Integer(),
  }),
});
export type ImportResult = Static<typeof ImportResult>;
