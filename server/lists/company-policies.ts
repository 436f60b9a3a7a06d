/**
 * The household's company presets (stored by company key) as the policy engine takes them: by the
 * catalog's numeric company id. A preset for a company the catalog no longer has is skipped with a warning.
 */
import type { Logger } from '../logger.js';
import type { CompanyPolicy } from '../filter/profile-state.js';
import type { CompanyPolicyRow } from '../store/repos/catalog-repo.js';
import type { Catalog } from '../trackers/catalog.js';

export function companyPoliciesById(
  rows: readonly CompanyPolicyRow[],
  catalog: Pick<Catalog, 'company'>,
  logger: Pick<Logger, 'warn'>,
): Map<number, CompanyPolicy> {
  const map = new Map<number, CompanyPolicy>();
  for (const row of rows) {
    const company = catalog.company(row.companyKey);
    if (company) map.set(company.id, row.policy);
    else logger.warn({ company: row.companyKey }, 'company policy for a company the catalog no longer has');
  }
  return map;
}
