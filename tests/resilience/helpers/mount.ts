/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN: CI and this machine); tests that need one skip otherwise. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NO_MOUNT_REASON = 'mounting a tmpfs is not permitted here (needs root with CAP_SYS_ADMIN)';

export function canMountTmpfs(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'tracksink-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
