/**
 * Why a query got its status, in a household's words: the one definition of the sentences the query log,
 * the live tail and the CSV show ("Allowed by your rule for this phone", "Blocked: known Pinterest
 * advertising tracker"). The API keeps the machine codes (`status`, `reason`) beside them for programs and
 * tests; people read `why`. Pure: the facts come from the row mapper (query-rows.ts).
 */
import type { StatusName } from '../schemas/common.js';

/** The rule that decided a local-allow / local-deny, as far as the mapper knows it. */
export interface RuleScope {
  /** The device the rule is for, or null. */
  deviceId: number | null;
  /** The profile (group) the rule is for, by name, or null. */
  profile: string | null;
}

export interface WhyFacts {
  status: StatusName;
  /** The reason code (events/query-event.ts REASON_NAMES). */
  reason: string;
  listName: string | null;
  /** undefined: the rule no longer exists (deleted or expired since). */
  rule?: RuleScope;
  deviceId: number | null;
  /** The asking device's type ("phone", "tv" …), for "your rule for this phone". */
  deviceType: string | null;
  /** Reason `schedule`: which schedule, already in words. */
  schedule?: string;
  cnameTarget: string | null;
  company: string | null;
  category: string | null;
}

/** Device types that read naturally after "this": "for this phone", "for this TV". */
const DEVICE_NOUNS: Record<string, string> = {
  phone: 'phone',
  tablet: 'tablet',
  laptop: 'laptop',
  desktop: 'computer',
  tv: 'TV',
  speaker: 'speaker',
  console: 'games console',
  camera: 'camera',
  router: 'router',
};

function quotedList(name: string | null): string {
  return name ? `the list “${name}”` : 'a blocklist';
}

function ruleScope(facts: WhyFacts): string {
  const rule = facts.rule;
  if (rule === undefined) return ' (since removed)';
  if (rule.deviceId !== null) {
    if (rule.deviceId !== facts.deviceId) return ' for another device';
    return ` for this ${DEVICE_NOUNS[facts.deviceType ?? ''] ?? 'device'}`;
  }
  if (rule.profile !== null) return ` for the ${rule.profile} profile`;
  return ' for everyone';
}

/** "known Pinterest advertising tracker", "known tracker" when nothing more is known. */
function tracker(facts: WhyFacts): string {
  return ['known', facts.company, facts.category?.toLowerCase(), 'tracker'].filter(Boolean).join(' ');
}

/** One sentence, or '' when there is nothing to explain (an ordinary answer). */
export function queryWhy(facts: WhyFacts): string {
  const { status, reason } = facts;
  switch (reason) {
    case 'catalog':
      return `Blocked: ${tracker(facts)}`;
    case 'list':
      return `Blocked: on ${quotedList(facts.listName)}`;
    case 'list-exception':
      return `Allowed: ${quotedList(facts.listName)} makes an exception for it`;
    case 'local-deny':
      return `Blocked by your rule${ruleScope(facts)}`;
    case 'local-allow':
      return `Allowed by your rule${ruleScope(facts)}`;
    case 'company-policy': {
      const company = facts.company ?? 'this company';
      return status === 'blocked'
        ? `Blocked: you block everything from ${company}`
        : `Allowed: you allow everything from ${company}`;
    }
    case 'cname':
      return facts.cnameTarget
        ? `Blocked: hidden tracker, it leads to ${facts.cnameTarget}`
        : 'Blocked: hidden tracker behind another name';
    case 'schedule':
      return `Blocked by ${facts.schedule ?? 'a schedule'}`;
    case 'paused':
      return 'Not blocked: blocking was paused';
    case 'local-record':
      return 'Answered here: a name you set up';
    case 'rewritten':
      return `Answered here with the address ${quotedList(facts.listName)} gives`;
    case 'private-ptr':
      return 'Answered here: a home-network address, never asked outside';
    case 'canary':
      return 'Answered here so browsers and iPhones keep using tracksink';
    case 'rebinding':
      return 'Blocked: a public name pointing into your home network (a known attack)';
    case 'access-denied':
      return 'Refused: this address may not use tracksink';
    case 'rate-limited':
      return 'Not answered: too many questions at once from this address';
    case 'malformed':
      return 'Refused: the question was garbled';
    case 'upstream-failed':
      return status === 'stale'
        ? 'Answered from memory: the internet DNS did not answer'
        : 'Failed: the internet DNS did not answer';
    default:
      return status === 'stale' ? 'Answered from memory: the internet DNS did not answer' : '';
  }
}
