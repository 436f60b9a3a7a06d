/**
 * Stable ids for the tracker catalog (table `catalog_ids`), and the per-company policy presets (table
 * `company_policies`). Ids are per kind, start at 1, and are never reused.
 */
import { COMPANY_POLICIES, type CompanyPolicy } from '../../filter/profile-state.js';
import type { CatalogIdStore } from '../../trackers/catalog-types.js';
import type { Db } from '../sqlite.js';

export type { CompanyPolicy };

export interface CompanyPolicyRow {
  companyKey: string;
  policy: CompanyPolicy;
  updatedAt: number;
}

export class CatalogRepo implements CatalogIdStore {
  constructor(private readonly db: Db) {}

  assign(kind: 'company' | 'category' | 'app', keys: readonly string[]): Map<string, number> {
    const select = this.db.prepare('SELECT key, id FROM catalog_ids WHERE kind = ?');
    const insert = this.db.prepare('INSERT INTO catalog_ids (kind, key, id) VALUES (?, ?, ?)');
    const run = this.db.transaction(() => {
      const ids = new Map<string, number>();
      let next = 1;
      for (const row of select.all(kind) as Array<{ key: string; id: number }>) {
        ids.set(row.key, row.id);
        if (row.id >= next) next = row.id + 1;
      }
      const out = new Map<string, number>();
      for (const key of keys) {
        let id = ids.get(key);
        if (id === undefined) {
          id = next++;
          insert.run(kind, key, id);
          ids.set(key, id);
        }
        out.set(key, id);
      }
      return out;
    });
    return run();
  }

  companyPolicies(): CompanyPolicyRow[] {
    return this.db
      .prepare(
        'SELECT company_key AS companyKey, policy, updated_at AS updatedAt FROM company_policies ORDER BY company_key',
      )
      .all() as CompanyPolicyRow[];
  }

  /** Sets a company's preset; `block-tracking` (the default) removes the row. */
  setCompanyPolicy(companyKey: string, policy: CompanyPolicy, now = Date.now()): void {
    if (!(COMPANY_POLICIES as readonly unknown[]).includes(policy)) {
      throw new TypeError(
        `company policy for '${companyKey}' must be one of ${COMPANY_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
      );
    }
    if (policy === 'block-tracking') {
      this.db.prepare('DELETE FROM company_policies WHERE company_key = ?').run(companyKey);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO company_policies (company_key, policy, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (company_key) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
      )
      .run(companyKey, policy, now);
  }
}
