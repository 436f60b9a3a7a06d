/** A stand-in for the PolicyEngine that keeps what ListManager hands it and answers "is this blocked?". */
import { emptyListMatch, type ListMatcher, type MatchContext } from '../../../server/filter/matcher.js';
import type { CompanyPolicy } from '../../../server/store/repos/catalog-repo.js';
import type { Attribution } from '../../../server/trackers/attribution.js';

const context: MatchContext = { deviceId: 0, qtype: 1, groups: undefined, clientAllows: () => true };

export class RecordingPolicy {
  matcher: ListMatcher | null = null;
  attribution: Attribution | null = null;
  companyPolicies = new Map<number, CompanyPolicy>();
  swaps = 0;

  setLists(matcher: ListMatcher): void {
    this.matcher = matcher;
    this.swaps++;
  }

  setAttribution(attribution: Attribution): void {
    this.attribution = attribution;
  }

  setCompanyPolicies(policies: Map<number, CompanyPolicy>): void {
    this.companyPolicies = policies;
  }

  /** A list rule blocks the name (and no exception beats it). */
  blocks(name: string): boolean {
    if (!this.matcher) return false;
    const out = emptyListMatch();
    this.matcher.match(name, context, out);
    if (out.importantBlock >= 0) return true;
    return out.block >= 0 && out.exception < 0 && out.importantException < 0;
  }
}
