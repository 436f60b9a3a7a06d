/**
 * A profile is a device group seen whole: its devices, the lists assigned to it, its rules, its own
 * company policies (they replace the household's for its devices), its schedules and what holds now.
 */
import type { App, RouteContext } from '../context.js';
import { badRequest, notFound, unavailable } from '../http/errors.js';
import { ErrorResponse, IdParams } from '../schemas/common.js';
import { Profile, ProfilePolicyBody, ProfilePolicyParams } from '../schemas/schedules.js';
import { nextChange, scheduleViews } from './schedules-routes.js';

export function profilesRoutes(app: App, context: RouteContext): void {
  const repo = context.deps.repos.schedules;
  const registry = () => {
    if (!context.deps.devices) throw unavailable('the device registry (profiles)');
    return context.deps.devices;
  };
  const runner = () => {
    if (!context.deps.schedules) throw unavailable('the schedule timer');
    return context.deps.schedules;
  };

  const profile = (id: number) => {
    const group = registry()
      .listGroups()
      .find((g) => g.id === id);
    if (!group) throw notFound(`there is no profile ${id}`);
    const devices = registry()
      .list()
      .filter((d) => d.groupIds.includes(id))
      .map((d) => ({ id: d.id, name: d.name ?? d.vendor ?? `Device ${d.id}`, pausedUntil: d.pausedUntil }));
    const allLists = context.deps.lists?.list() ?? [];
    const lists = allLists
      .filter((l) => l.assignment.groupIds.includes(id))
      .map((l) => ({ id: l.id, name: l.name, kind: l.kind, enabled: l.enabled }));
    const householdLists = allLists.filter(
      (l) => l.enabled && l.assignment.groupIds.length === 0 && l.assignment.deviceIds.length === 0,
    ).length;
    const rules = context.rules.list({ groupId: id }).map((r) => ({
      id: r.id,
      action: r.action,
      match: r.match,
      pattern: r.pattern,
      expiresAt: r.expiresAt,
    }));
    const household = context.deps.lists?.companyPolicies() ?? new Map();
    const companyPolicies = repo.profilePolicies(id).map((row) => ({
      companyKey: row.companyKey,
      companyName: context.deps.catalog?.company(row.companyKey)?.name ?? row.companyKey,
      policy: row.policy,
      household: household.get(row.companyKey) ?? ('block-tracking' as const),
    }));
    const status = runner().status();
    const mine = (s: { groupId: number | null }) => s.groupId === id;
    const schedules = scheduleViews(status, mine);
    const inForce = [
      ...schedules.filter((s) => s.active).map((s) => s.label),
      ...companyPolicies
        .filter((p) => p.policy !== 'block-tracking')
        .map((p) => `${p.companyName}: ${p.policy === 'allow' ? 'allowed' : 'everything blocked'}`),
    ];
    return {
      id: group.id,
      name: group.name,
      description: group.description,
      devices,
      lists,
      householdLists,
      rules,
      companyPolicies,
      schedules,
      inForce,
      next: nextChange(status, mine),
      timeZone: status.timeZone,
    };
  };

  app.get(
    '/api/profiles/:id',
    {
      schema: {
        tags: ['profiles'],
        params: IdParams,
        response: { 200: Profile, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => profile(request.params.id),
  );

  app.put(
    '/api/profiles/:id/company-policies/:key',
    {
      schema: {
        tags: ['profiles'],
        params: ProfilePolicyParams,
        body: ProfilePolicyBody,
        response: { 200: Profile, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const { id, key } = request.params;
      profile(id);
      if (context.deps.catalog && !context.deps.catalog.company(key))
        throw badRequest(`params.key: the catalog has no company "${key}"`);
      repo.setProfilePolicy(id, key, request.body.policy, context.now());
      runner().refresh();
      return profile(id);
    },
  );
}
