/**
 * The on-disk last good copy of each list (`<dataDir>/lists/<id>.txt`). Written to a temporary file and
 * renamed over the old copy, so a crash mid-write never leaves a half list where the good one was.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class ListCache {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'lists');
  }

  path(listId: number): string {
    return join(this.dir, `${listId}.txt`);
  }

  has(listId: number): boolean {
    return existsSync(this.path(listId));
  }

  read(listId: number): string | null {
    try {
      return readFileSync(this.path(listId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  write(listId: number, text: string): void {
    mkdirSync(this.dir, { recursive: true });
    const path = this.path(listId);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  }

  remove(listId: number): void {
    rmSync(this.path(listId), { force: true });
  }
}
