/**
 * The on-disk last good copy of each list (`<dataDir>/lists/<id>.txt`). Written to a temporary file and
 * renamed over the old copy, so a crash mid-write never leaves a half list where the good one was.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
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

  /** Asynchronous: writing tens of megabytes must not hold the event loop. */
  async write(listId: number, text: string | Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = this.path(listId);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, path);
  }

  remove(listId: number): void {
    rmSync(this.path(listId), { force: true });
    // Its parsed form (parsed-cache.ts), if one was kept.
    rmSync(join(this.dir, `${listId}.parsed`), { force: true });
  }
}
