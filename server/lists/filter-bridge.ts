/**
 * The part of the filter module's API the list manager uses, in one place: parse a list's text, and build
 * the one matcher that holds every enabled list (swapped into the policy as a whole).
 */
import type { Attribution } from '../trackers/attribution.js';
import type { ParsedList } from '../filter/list-types.js';
import { buildMatcher, type ListInput, type ListMatcher } from '../filter/matcher.js';
import { parseList } from '../filter/parse.js';
import type { CompanyPolicy } from '../store/repos/catalog-repo.js';

export { buildMatcher, parseList };
export type { ListInput, ListMatcher, ParsedList };

/** What ListManager needs of the policy (PolicyEngine implements it). */
export interface ListPolicyTarget {
  setLists(matcher: ListMatcher): void;
  setAttribution(attribution: Attribution): void;
  setCompanyPolicies(policies: Map<number, CompanyPolicy>): void;
  /** Attribution-based catalog blocking follows the built-in catalog list (enabled, and its id). */
  setCatalogBlocking?(enabled: boolean, catalogListId?: number): void;
}

export type MatcherBuilder = (lists: ListInput[]) => ListMatcher;
