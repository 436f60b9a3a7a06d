/**
 * explain(name, device): every user rule, list rule, catalog entry and company policy that matches the
 * name, which one decided and why, and the company. Runs the real decide() for the verdict so the
 * explanation can never disagree with what DNS does. Allocates freely: this is for people, not packets.
 */
import { domainToASCII } from 'node:url';
import { REASON_NAMES, Reason } from '../events/query-event.js';
import type { Attribution } from '../trackers/attribution.js';
import { emptyAttributionResult } from '../trackers/attribution.js';
import type { ListMatcher, MatchContext, RuleHit } from './matcher-types.js';
import type { CompanyPolicy, ProfileState } from './profile-state.js';
import { describeRewrite } from './rewrite.js';
import { RuleFlag } from './rule-flags.js';
import { ruleApplies, type UserRuleSet } from './user-rules.js';
import { emptyVerdict, VerdictAction, type Policy } from './verdict.js';

/** What an explanation reads from the policy engine (PolicyEngine.explain passes the engine itself). */
export interface ExplainedPolicy extends Policy {
  readonly lists: ListMatcher;
  readonly rules: UserRuleSet;
  readonly now: () => number;
  readonly profiles: ProfileState;
  readonly groupNames: ReadonlyMap<number, string>;
  companyPolicy(companyId: number, deviceId?: number): CompanyPolicy;
}

/** Reads the text of rule `line` of list `listId` (undefined when unknown). */
export type LineTextLookup = (listId: number, line: number) => string | undefined;

export type ExplainSource = 'user-rule' | 'list' | 'catalog' | 'company-policy' | 'schedule';

export interface ExplainEntry {
  source: ExplainSource;
  /** What this entry would do on its own. */
  effect: 'block' | 'allow' | 'rewrite';
  /** `$important` list rule. */
  important: boolean;
  listId: number;
  listName: string;
  /** Line in the list (list rules), else 0. */
  line: number;
  /** User rule id (user rules), company id (company policy), schedule id (schedule), else 0. */
  ruleId: number;
  match: 'exact' | 'subdomain' | 'regex' | 'pattern' | 'attribution';
  /** The domain the rule is written for, when it has one. */
  domain: string;
  /** The rule as written, when known. */
  text: string | undefined;
  /** False when the rule matches the name but not this device / qtype, or has expired. */
  applies: boolean;
  /** This entry decided the verdict. */
  winner: boolean;
  /** For rewrite rules: the answer it gives (`A 192.168.1.10`, `REFUSED`), else ''. */
  rewrite: string;
  /**
   * What the rule did to this question, in words: "blocked", "allowed", "rewrote: A 1.2.3.4",
   * "did not apply: …" with the reason, or "outranked" when another rule decided.
   */
  outcome: string;
}

export interface Explanation {
  name: string;
  deviceId: number;
  qtype: number;
  action: 'none' | 'block' | 'allow' | 'rewrite';
  reason: string;
  listId: number;
  ruleId: number;
  /** One sentence: what happened and why. */
  why: string;
  winner: ExplainEntry | null;
  matches: ExplainEntry[];
  company: {
    companyId: number;
    categoryId: number;
    appId: number;
    tracking: boolean;
    dualUse: boolean;
    policy: CompanyPolicy;
  } | null;
  paused: boolean;
}

export interface ExplainParams {
  name: string;
  deviceId: number;
  qtype: number;
  lineText: LineTextLookup | undefined;
  catalogBlocking: boolean;
  catalogListId: number;
}

const ACTIONS = {
  [VerdictAction.none]: 'none',
  [VerdictAction.block]: 'block',
  [VerdictAction.allow]: 'allow',
  [VerdictAction.rewrite]: 'rewrite',
} as const;

export function buildExplanation(
  engine: ExplainedPolicy,
  attribution: Attribution,
  groups: readonly number[] | undefined,
  ctxTemplate: MatchContext,
  params: ExplainParams,
): Explanation {
  const name = normaliseQueryName(params.name);
  const { deviceId, qtype } = params;
  const verdict = emptyVerdict();
  engine.decide(name, qtype, deviceId, verdict);
  const attr = emptyAttributionResult();
  const attributed = attribution.attribute(name, attr);
  const matcher = engine.lists;
  const matches: ExplainEntry[] = [];

  for (const compiled of engine.rules.matching(name)) {
    const rule = compiled.rule;
    matches.push({
      source: 'user-rule',
      effect: rule.action === 'allow' ? 'allow' : 'block',
      important: false,
      listId: 0,
      listName: '',
      line: 0,
      ruleId: rule.id,
      match: rule.match,
      domain: compiled.domain,
      text: `${rule.action} ${rule.match} ${rule.pattern}`,
      applies: ruleApplies(rule, deviceId, groups, engine.now),
      winner: false,
      rewrite: '',
      outcome: '',
    });
  }

  const ctx: MatchContext = {
    deviceId,
    qtype,
    groups,
    clientAllows: ctxTemplate.clientAllows,
    clientWhyNot: ctxTemplate.clientWhyNot,
  };
  for (const hit of matcher.collect(name, ctx))
    matches.push(listEntry(hit, matcher.lists[hit.listIndex]!, params));

  const scheduled = engine.profiles.scheduledBlock(deviceId, name, attr);
  if (scheduled !== null) matches.push(scheduleEntry(scheduled.scheduleId, scheduled.label));
  const policy = engine.companyPolicy(attr.companyId, deviceId);
  const policyGroup = engine.profiles.policyGroup(deviceId, attr.companyId);
  const profileName =
    policyGroup === null ? null : (engine.groupNames.get(policyGroup) ?? `group ${policyGroup}`);
  if (attributed && (policy !== 'block-tracking' || profileName !== null)) {
    matches.push({
      source: 'company-policy',
      effect: policy === 'allow' ? 'allow' : 'block',
      important: false,
      listId: 0,
      listName: '',
      line: 0,
      ruleId: attr.companyId,
      match: 'attribution',
      domain: '',
      text:
        profileName === null
          ? `your choice for its company: ${POLICY_WORDS[policy] ?? policy}`
          : `the ${profileName} profile's choice for its company: ${POLICY_WORDS[policy] ?? policy}`,
      applies: true,
      winner: false,
      rewrite: '',
      outcome: '',
    });
  }
  if (attributed && attr.tracking) {
    matches.push({
      source: 'catalog',
      effect: attr.dualUse ? 'allow' : 'block',
      important: false,
      listId: params.catalogListId,
      listName: "tracksink's tracker list",
      line: 0,
      ruleId: 0,
      match: 'attribution',
      domain: '',
      text: attr.dualUse
        ? "a tracker its company's own app also needs (blocked only if you block everything from the company)"
        : 'a known tracker',
      applies: params.catalogBlocking && !attr.dualUse,
      winner: false,
      rewrite: '',
      outcome: '',
    });
  }

  const winner = findWinner(matches, verdict.reason, verdict.listId, verdict.ruleId);
  if (winner !== null) winner.winner = true;
  for (const entry of matches) entry.outcome ||= outcomeOf(entry, verdict.reason);
  const paused = verdict.reason === Reason.paused;
  return {
    name,
    deviceId,
    qtype,
    action: ACTIONS[verdict.action],
    reason: REASON_NAMES[verdict.reason],
    listId: verdict.listId,
    ruleId: verdict.ruleId,
    why:
      describeProfile(engine, deviceId, verdict.reason, verdict.action, winner, profileName) ??
      describe(verdict.action, verdict.reason, winner, matches.length),
    winner,
    matches,
    company: attributed
      ? {
          companyId: attr.companyId,
          categoryId: attr.categoryId,
          appId: attr.appId,
          tracking: attr.tracking,
          dualUse: attr.dualUse,
          policy,
        }
      : null,
    paused,
  };
}

function scheduleEntry(scheduleId: number, label: string): ExplainEntry {
  return {
    source: 'schedule',
    effect: 'block',
    important: false,
    listId: 0,
    listName: '',
    line: 0,
    ruleId: scheduleId,
    match: 'attribution',
    domain: '',
    text: label,
    applies: true,
    winner: false,
    rewrite: '',
    outcome: '',
  };
}

/** The sentence when a profile or a schedule decided; null to let describe() say it. */
function describeProfile(
  engine: ExplainedPolicy,
  deviceId: number,
  reason: Reason,
  action: number,
  winner: ExplainEntry | null,
  profileName: string | null,
): string | null {
  if (reason === Reason.schedule && winner !== null) return `${winner.text ?? 'A schedule'}: blocked now.`;
  if (reason === Reason.paused && engine.profiles.pausedBy(deviceId) !== 0)
    return `Would be blocked, but ${engine.profiles.pauseLabel(deviceId)} pauses blocking now.`;
  if (reason === Reason.companyPolicy && profileName !== null)
    return action === VerdictAction.block
      ? `${profileName} profile: the company is set to "block everything".`
      : `${profileName} profile: the company is set to "allow", so lists and the catalog do not block it.`;
  return null;
}

/** What one matching rule did to the question, in words. */
function outcomeOf(entry: ExplainEntry, reason: Reason): string {
  if (!entry.applies) return entry.outcome !== '' ? entry.outcome : 'did not apply here';
  if (entry.winner) {
    if (reason === Reason.paused) return 'would have blocked (blocking is paused)';
    return entry.effect === 'rewrite'
      ? `rewrote: ${entry.rewrite}`
      : entry.effect === 'block'
        ? 'blocked'
        : 'allowed';
  }
  return 'matched, but another rule decided';
}

function listEntry(
  hit: RuleHit,
  list: { id: number; name: string; kind: string; catalog: boolean },
  params: ExplainParams,
): ExplainEntry {
  const exceptionOfRewrite = hit.rewrite !== null && hit.exception;
  return {
    source: list.catalog ? 'catalog' : 'list',
    effect: hit.rewrite !== null && !hit.exception ? 'rewrite' : hit.exception ? 'allow' : 'block',
    important: (hit.flags & RuleFlag.important) !== 0,
    listId: list.id,
    listName: list.name,
    line: hit.line,
    ruleId: 0,
    match: hit.match,
    domain: hit.domain,
    text: params.lineText?.(list.id, hit.line),
    applies: hit.applies,
    winner: false,
    rewrite: hit.rewrite !== null && hit.rewrite.key !== '0;0;*' ? describeRewrite(hit.rewrite) : '',
    outcome: hit.applies
      ? exceptionOfRewrite
        ? 'lifted a $dnsrewrite rule'
        : ''
      : `did not apply: ${hit.whyNot || 'not for this device'}`,
  };
}

function findWinner(
  matches: ExplainEntry[],
  reason: Reason,
  listId: number,
  ruleId: number,
): ExplainEntry | null {
  const applicable = matches.filter((m) => m.applies);
  switch (reason) {
    case Reason.localAllow:
    case Reason.localDeny:
      return applicable.find((m) => m.source === 'user-rule' && m.ruleId === ruleId) ?? null;
    case Reason.companyPolicy:
      return applicable.find((m) => m.source === 'company-policy') ?? null;
    case Reason.schedule:
      return applicable.find((m) => m.source === 'schedule' && m.ruleId === ruleId) ?? null;
    case Reason.list:
    case Reason.listException:
    case Reason.paused:
    case Reason.catalog:
    case Reason.rewritten:
      return (
        applicable.find(
          (m) => (m.source === 'list' || m.source === 'catalog') && m.listId === listId && m.line === ruleId,
        ) ??
        applicable.find((m) => m.source === 'catalog' && m.match === 'attribution') ??
        (reason === Reason.paused
          ? (applicable.find((m) => m.source === 'user-rule' && m.ruleId === ruleId) ?? null)
          : null)
      );
    default:
      return null;
  }
}

/** A company choice in words (the codes are 'block-tracking', 'block-everything', 'allow'). */
const POLICY_WORDS: Record<string, string> = {
  'block-tracking': 'block its trackers',
  'block-everything': 'block everything',
  allow: 'allow everything',
};

function describe(action: number, reason: Reason, winner: ExplainEntry | null, matchCount: number): string {
  // Which list and line decided; a user rule is "your rule" (its number means nothing to people).
  const where =
    winner !== null && winner.listName !== '' && winner.line > 0
      ? ` (${winner.listName}, line ${winner.line})`
      : '';
  switch (reason) {
    case Reason.localAllow:
      return `Allowed by your allow rule${where}, which beats every list.`;
    case Reason.localDeny:
      return `Blocked by your deny rule${where}.`;
    case Reason.companyPolicy:
      return action === VerdictAction.block
        ? 'Blocked: the company is set to "block everything".'
        : 'Allowed: the company is set to "allow", so lists and the catalog do not block it.';
    case Reason.listException:
      return `A list blocks it, but an exception${where} lets it through.`;
    case Reason.list:
      return `Blocked by a list rule${where}.`;
    case Reason.catalog:
      return "Blocked: a known tracker (on tracksink's tracker list).";
    case Reason.paused:
      return `Would be blocked${where}, but blocking is paused.`;
    case Reason.rewritten:
      return `Answered by a list rule${where}: ${winner?.rewrite || 'a rewritten answer'}.`;
    default:
      return matchCount === 0
        ? 'Not blocked: no rule or list matches it.'
        : 'Not blocked: the rules that match it do not block it here.';
  }
}

/** Lower case, no trailing dot, IDN as punycode: the form decide() receives from the DNS pipeline. */
export function normaliseQueryName(raw: string): string {
  let name = raw.trim().toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 127) {
      const ascii = domainToASCII(name);
      return ascii === '' ? name : ascii;
    }
  }
  return name;
}
