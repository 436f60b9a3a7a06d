/**
 * The Policy the DNS pipeline asks for every question. Decision order (first that applies wins):
 *   1. user allow rule            → forward (allowed, if anything below would block)
 *   2. user deny rule             → block (local-deny)
 *   3. company policy 'allow'     → nothing from lists/catalog blocks the company's names
 *      company 'block-everything' → every name attributed to the company is blocked
 *   4. lists: `$dnsrewrite` answer > important exception > important block > exception > block >
 *      hosts line with a real address (a local record), as AdGuard Home ranks them
 *   5. catalog: attributed tracking endpoints (not dual-use) are blocked ('block-tracking', the default)
 * then a pause (global, for the device, or a pausing schedule) turns a block into a forward with reason
 * `paused`. Before all of these, a blocking schedule in force for the device (or one of its profiles)
 * blocks its companies, apps and categories (reason `schedule`): a household's time limit beats allow
 * rules, lists and pauses. A profile's company policy (per device group) replaces the household's.
 * Attribution fields are filled for every name, blocked or not.
 *
 * Every piece of state (matcher, rules, policies, groups, pauses, attribution) is one reference,
 * replaced whole by its setter after the new value is fully built; decide() is synchronous, so a lookup
 * never sees a half-built state. decide() allocates nothing.
 */
import { Reason } from '../events/query-event.js';
import type { Attribution, AttributionResult } from '../trackers/attribution.js';
import { emptyAttributionResult, noAttribution } from '../trackers/attribution.js';
import { ClientMatcher } from './client-match.js';
import type { DeviceIdentity } from './client-match.js';
import { buildExplanation } from './explain.js';
import type { Explanation, LineTextLookup } from './explain.js';
import { buildMatcher, emptyListMatch } from './matcher.js';
import { ProfileState } from './profile-state.js';
import type { ActiveSchedule, CompanyPolicy } from './profile-state.js';
import type { ListMatch, ListMatcher, MatchContext } from './matcher.js';
import { UserRuleSet } from './user-rules.js';
import type { UserRule, UserRuleMatch } from './user-rules.js';
import type { Policy, Verdict } from './verdict.js';
import { VerdictAction } from './verdict.js';

export type { UserRule } from './user-rules.js';
export type { DeviceIdentity } from './client-match.js';
export type { ActiveSchedule, CompanyPolicy } from './profile-state.js';

export interface PolicyEngineOptions {
  attribution?: Attribution;
  /** Clock in ms since the epoch (rule expiry, pauses). */
  now?: () => number;
  /** Block names the attribution marks as tracking (and not dual-use). Default true. */
  catalogBlocking?: boolean;
  /** List id reported for catalog blocks (the catalog's list id). Default 0. */
  catalogListId?: number;
}

const ACTION_NONE = VerdictAction.none;
const ACTION_BLOCK = VerdictAction.block;
const ACTION_ALLOW = VerdictAction.allow;
const ACTION_REWRITE = VerdictAction.rewrite;

/** A blocking candidate found while deciding (reused object, never allocated per query). */
interface Candidate {
  action: number;
  reason: Reason;
  listId: number;
  ruleId: number;
}

export class PolicyEngine implements Policy {
  private matcher: ListMatcher = buildMatcher([]);
  private attribution: Attribution;
  private userRules = new UserRuleSet([]);
  private companyPolicies: ReadonlyMap<number, CompanyPolicy> = new Map();
  private deviceGroups: ReadonlyMap<number, readonly number[]> = new Map();
  private pauseGlobalUntil: number | null = null;
  private pauseDeviceUntil: ReadonlyMap<number, number> = new Map();
  private clients = new ClientMatcher(new Map());
  private groupPolicies: ReadonlyMap<number, ReadonlyMap<number, CompanyPolicy>> = new Map();
  private activeSchedules: readonly ActiveSchedule[] = [];
  /** Profile names, for explanations ("the Kids profile"). */
  groupNames: ReadonlyMap<number, string> = new Map();
  /** Profile policies and schedules in force, flattened per device (rebuilt when any of them changes). */
  private profileState = new ProfileState(new Map(), new Map(), []);
  /** Answer of the lookup in progress when a rewrite wins (set with the candidate). */
  private rewriteAnswer: Verdict['rewrite'] = null;
  private catalogBlocking: boolean;
  private catalogListId: number;
  readonly now: () => number;

  // Scratch objects reused by every decide() call.
  private readonly attr: AttributionResult = emptyAttributionResult();
  private readonly listMatch: ListMatch = emptyListMatch();
  private readonly userMatch: UserRuleMatch = { allow: -1, deny: -1 };
  private readonly candidate: Candidate = { action: 0, reason: 0, listId: 0, ruleId: 0 };
  private readonly ctx: MatchContext;

  constructor(options: PolicyEngineOptions = {}) {
    this.attribution = options.attribution ?? noAttribution;
    this.now = options.now ?? Date.now;
    this.catalogBlocking = options.catalogBlocking ?? true;
    this.catalogListId = options.catalogListId ?? 0;
    this.ctx = {
      deviceId: 0,
      qtype: 0,
      groups: undefined,
      clientAllows: this.clients.allows,
      clientWhyNot: (rule, deviceId) => this.clients.whyNot(rule, deviceId),
    };
  }

  /** Atomic swap of the list matcher (build it with buildMatcher beside the old one first). */
  setLists(matcher: ListMatcher): void {
    this.matcher = matcher;
  }

  setAttribution(attribution: Attribution): void {
    this.attribution = attribution;
  }

  /** Compiles then swaps; throws UserRuleError (and keeps the previous rules) if one rule is bad. */
  setUserRules(rules: UserRule[]): void {
    this.userRules = new UserRuleSet(rules);
  }

  setCompanyPolicies(policies: Map<number, CompanyPolicy>): void {
    for (const [companyId, policy] of policies) {
      if (policy !== 'allow' && policy !== 'block-everything' && policy !== 'block-tracking') {
        throw new TypeError(`company ${companyId}: unknown policy "${String(policy)}"`);
      }
    }
    this.companyPolicies = new Map(policies);
  }

  setDeviceGroups(groups: Map<number, number[]>): void {
    this.deviceGroups = new Map(groups);
    this.rebuildProfiles();
  }

  /** Company policies per profile: group id → company id → policy (they replace the household's). */
  setGroupCompanyPolicies(
    policies: Map<number, Map<number, CompanyPolicy>>,
    groupNames: Map<number, string> = new Map(),
  ): void {
    for (const [groupId, map] of policies)
      for (const [companyId, policy] of map)
        if (policy !== 'allow' && policy !== 'block-everything' && policy !== 'block-tracking')
          throw new TypeError(`group ${groupId}, company ${companyId}: unknown policy "${String(policy)}"`);
    this.groupPolicies = new Map(policies);
    this.groupNames = new Map(groupNames);
    this.rebuildProfiles();
  }

  /** The schedules in force now (the schedule timer swaps a new set in at each boundary). */
  setSchedules(active: readonly ActiveSchedule[]): void {
    this.activeSchedules = [...active];
    this.rebuildProfiles();
  }

  get profiles(): ProfileState {
    return this.profileState;
  }

  private rebuildProfiles(): void {
    this.profileState = new ProfileState(this.deviceGroups, this.groupPolicies, this.activeSchedules);
  }

  /** Addresses and names of devices, for `$client=` list rules. */
  setDeviceIdentities(identities: Map<number, DeviceIdentity>): void {
    const clients = new ClientMatcher(new Map(identities));
    this.clients = clients;
    this.ctx.clientAllows = clients.allows;
  }

  /** A device was seen at an address its identity did not hold yet (called from the DNS hot path, rarely). */
  addDeviceAddress(deviceId: number, address: string): void {
    this.clients.addAddress(deviceId, address);
  }

  /** Pauses end by themselves: `globalUntil` / the map's values are ms since the epoch. */
  setPauses(globalUntil: number | null, deviceUntil: Map<number, number>): void {
    this.pauseGlobalUntil = globalUntil;
    this.pauseDeviceUntil = new Map(deviceUntil);
  }

  setCatalogBlocking(enabled: boolean, catalogListId = this.catalogListId): void {
    this.catalogBlocking = enabled;
    this.catalogListId = catalogListId;
  }

  get lists(): ListMatcher {
    return this.matcher;
  }

  get rules(): UserRuleSet {
    return this.userRules;
  }

  decide(name: string, qtype: number, deviceId: number, out: Verdict): void {
    // Read every reference once: a setter running between two reads cannot mix states.
    const matcher = this.matcher;
    const userRules = this.userRules;
    const attr = this.attr;
    this.attribution.attribute(name, attr);
    out.companyId = attr.companyId;
    out.categoryId = attr.categoryId;
    out.appId = attr.appId;
    out.kind = attr.kind;

    const profiles = this.profileState;
    const scheduled = profiles.scheduledBlock(deviceId, name, attr);
    if (scheduled !== null) {
      out.rewrite = null;
      setVerdict(out, ACTION_BLOCK, Reason.schedule, 0, scheduled.scheduleId);
      return;
    }

    const groups = this.deviceGroups.get(deviceId);
    const um = this.userMatch;
    userRules.match(name, deviceId, groups, this.now, um);

    // What would block, ignoring user allow rules: deny rule, company policy, lists, catalog.
    const block = this.candidate;
    block.action = ACTION_NONE;
    block.reason = Reason.none;
    block.listId = 0;
    block.ruleId = 0;
    this.rewriteAnswer = null;
    const policy =
      attr.companyId !== 0
        ? (profiles.companyPolicy(deviceId, attr.companyId) ?? this.companyPolicies.get(attr.companyId))
        : undefined;
    if (um.deny >= 0) {
      setCandidate(block, ACTION_BLOCK, Reason.localDeny, 0, userRules.rules[um.deny]!.rule.id);
    } else if (policy === 'block-everything') {
      setCandidate(block, ACTION_BLOCK, Reason.companyPolicy, 0, attr.companyId);
    } else {
      const ctx = this.ctx;
      ctx.deviceId = deviceId;
      ctx.qtype = qtype;
      ctx.groups = groups;
      const lm = this.listMatch;
      matcher.match(name, ctx, lm);
      const catalogBlocks = this.catalogBlocking && attr.tracking && !attr.dualUse;
      const listBlocks = lm.block >= 0 || lm.importantBlock >= 0 || catalogBlocks;
      const listRules =
        lm.block >= 0 || lm.importantBlock >= 0 || lm.exception >= 0 || lm.importantException >= 0;
      if (lm.rewrite !== null) {
        this.setRewrite(block, matcher, lm.rewriteList, lm.rewriteLine, lm.rewrite);
      } else if (lm.hostsRecord !== null && !listRules) {
        this.setRewrite(block, matcher, lm.hostsRecordList, lm.hostsRecordLine, lm.hostsRecord);
      } else if (!listBlocks) {
        // nothing blocks: exceptions alone change nothing
      } else if (policy === 'allow') {
        setCandidate(block, ACTION_ALLOW, Reason.companyPolicy, 0, attr.companyId);
      } else if (lm.importantException >= 0) {
        setCandidate(
          block,
          ACTION_ALLOW,
          Reason.listException,
          matcher.lists[lm.importantException]!.id,
          lm.importantExceptionLine,
        );
      } else if (lm.importantBlock >= 0) {
        setListBlock(block, matcher, lm.importantBlock, lm.importantBlockLine);
      } else if (lm.exception >= 0) {
        setCandidate(
          block,
          ACTION_ALLOW,
          Reason.listException,
          matcher.lists[lm.exception]!.id,
          lm.exceptionLine,
        );
      } else if (lm.block >= 0) {
        setListBlock(block, matcher, lm.block, lm.blockLine);
      } else {
        setCandidate(block, ACTION_BLOCK, Reason.catalog, this.catalogListId, 0);
      }
    }

    out.rewrite = block.action === ACTION_REWRITE ? this.rewriteAnswer : null;
    if (um.allow >= 0 && block.action === ACTION_BLOCK) {
      setVerdict(out, ACTION_ALLOW, Reason.localAllow, 0, userRules.rules[um.allow]!.rule.id);
      return;
    }
    if (block.action === ACTION_BLOCK && this.isPaused(deviceId)) {
      // Keep list and rule so the log can say what would have blocked.
      setVerdict(out, ACTION_NONE, Reason.paused, block.listId, block.ruleId);
      return;
    }
    setVerdict(out, block.action, block.reason, block.listId, block.ruleId);
  }

  private setRewrite(
    c: Candidate,
    matcher: ListMatcher,
    listIndex: number,
    line: number,
    answer: NonNullable<Verdict['rewrite']>,
  ): void {
    setCandidate(c, ACTION_REWRITE, Reason.rewritten, matcher.lists[listIndex]!.id, line);
    this.rewriteAnswer = answer;
  }

  /** Is blocking paused for this device right now (globally or for the device)? */
  isPaused(deviceId: number): boolean {
    const globalUntil = this.pauseGlobalUntil;
    const deviceUntil = this.pauseDeviceUntil.size > 0 ? this.pauseDeviceUntil.get(deviceId) : undefined;
    if (this.profileState.pausedBy(deviceId) !== 0) return true;
    if (globalUntil === null && deviceUntil === undefined) return false;
    const now = this.now();
    return (globalUntil !== null && globalUntil > now) || (deviceUntil !== undefined && deviceUntil > now);
  }

  /** The company policy in force for a company (the default is 'block-tracking'), for a device's profiles. */
  companyPolicy(companyId: number, deviceId = 0): CompanyPolicy {
    return (
      this.profileState.companyPolicy(deviceId, companyId) ??
      this.companyPolicies.get(companyId) ??
      'block-tracking'
    );
  }

  /**
   * Every rule and list that matches `name`, the winner and why, and the company. Not for the hot path.
   * `lineText(listId, line)` supplies a list rule's text (the lists module reads it from its cache).
   */
  explain(name: string, deviceId = 0, qtype = 1, lineText?: LineTextLookup): Explanation {
    return buildExplanation(this, this.attribution, this.deviceGroups.get(deviceId), this.ctx, {
      name,
      deviceId,
      qtype,
      lineText,
      catalogBlocking: this.catalogBlocking,
      catalogListId: this.catalogListId,
    });
  }
}

function setCandidate(c: Candidate, action: number, reason: Reason, listId: number, ruleId: number): void {
  c.action = action;
  c.reason = reason;
  c.listId = listId;
  c.ruleId = ruleId;
}

function setListBlock(c: Candidate, matcher: ListMatcher, listIndex: number, line: number): void {
  const list = matcher.lists[listIndex]!;
  setCandidate(c, ACTION_BLOCK, list.catalog ? Reason.catalog : Reason.list, list.id, line);
}

function setVerdict(out: Verdict, action: number, reason: Reason, listId: number, ruleId: number): void {
  out.action = action as Verdict['action'];
  out.reason = reason;
  out.listId = listId;
  out.ruleId = ruleId;
}
