/** A malformed catalog file: every problem names the file, the entry and the field. */
export class CatalogError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid tracker catalog:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CatalogError';
  }
}
