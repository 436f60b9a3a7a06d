/** The user's allow/deny rules: list, create (optionally for a duration), change, delete. */
import { regexProblem } from '../../filter/name-pattern.js';
import type { App, RouteContext } from '../context.js';
import { durationMs } from '../http/duration.js';
import { normaliseDomain } from '../http/domain-name.js';
import { badRequest, notFound } from '../http/errors.js';
import { syncRules } from '../../filter/policy-sync.js';
import { ErrorResponse, IdParams, Ok } from '../schemas/common.js';
import { Rule, RuleCreateBody, RuleList, RuleListQuery, RuleUpdateBody } from '../schemas/rules.js';

/** Validates a pattern for its match kind; returns the stored form. */
function checkPattern(match: 'exact' | 'subdomain' | 'regex', pattern: string): string {
  if (match === 'regex') {
    // The rule runs on RE2 (linear time): what RE2 cannot read is refused here, not at the next start.
    const problem = regexProblem(pattern);
    if (problem !== '') throw badRequest(`body.pattern: not a valid regular expression: ${problem}`);
    return pattern;
  }
  const result = normaliseDomain(pattern);
  if ('problem' in result) throw badRequest(`body.pattern: ${result.problem}`);
  return result.name;
}

export function rulesRoutes(app: App, context: RouteContext): void {
  const { rules, now } = context;
  // Timed rules stop applying by themselves in the policy; their rows are pruned here as they expire.
  const sync = () => {
    rules.deleteExpired(now());
    syncRules(context.deps.policy, rules, now());
  };

  app.get(
    '/api/rules',
    { schema: { tags: ['rules'], querystring: RuleListQuery, response: { 200: RuleList } } },
    async (request) => {
      const { device, group, action } = request.query;
      rules.deleteExpired(now());
      return { items: rules.list({ deviceId: device, groupId: group, action }) };
    },
  );

  app.post(
    '/api/rules',
    { schema: { tags: ['rules'], body: RuleCreateBody, response: { 201: Rule, 400: ErrorResponse } } },
    async (request, reply) => {
      const body = request.body;
      const match = body.match ?? 'subdomain';
      const deviceId = body.deviceId ?? null;
      const groupId = body.groupId ?? null;
      if (deviceId !== null && groupId !== null) {
        throw badRequest(
          'body: a rule applies to one device or one group, not both (give deviceId or groupId)',
        );
      }
      const { repos } = context.deps;
      if (deviceId !== null && !repos.devices.get(deviceId)) {
        throw badRequest(`body.deviceId: there is no device ${deviceId}`);
      }
      if (groupId !== null && !repos.groups.get(groupId)) {
        throw badRequest(`body.groupId: there is no group ${groupId}`);
      }
      const createdAt = now();
      const rule = rules.create({
        action: body.action,
        match,
        pattern: checkPattern(match, body.pattern),
        deviceId,
        groupId,
        expiresAt: body.duration ? createdAt + durationMs(body.duration) : null,
        comment: body.comment ?? '',
        createdAt,
      });
      sync();
      return reply.status(201).send(rule);
    },
  );

  app.patch(
    '/api/rules/:id',
    {
      schema: {
        tags: ['rules'],
        params: IdParams,
        body: RuleUpdateBody,
        response: { 200: Rule, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      const current = rules.get(request.params.id);
      if (!current) throw notFound(`there is no rule ${request.params.id}`);
      const body = request.body;
      const match = body.match ?? current.match;
      const patch: Parameters<typeof rules.update>[1] = {};
      if (body.action) patch.action = body.action;
      if (body.match || body.pattern !== undefined) {
        patch.match = match;
        patch.pattern = checkPattern(match, body.pattern ?? current.pattern);
      }
      if (body.duration !== undefined)
        patch.expiresAt = body.duration ? now() + durationMs(body.duration) : null;
      if (body.comment !== undefined) patch.comment = body.comment;
      const updated = rules.update(current.id, patch);
      if (!updated) throw notFound(`there is no rule ${current.id}`);
      sync();
      return updated;
    },
  );

  app.delete(
    '/api/rules/:id',
    { schema: { tags: ['rules'], params: IdParams, response: { 200: Ok, 404: ErrorResponse } } },
    async (request) => {
      if (!rules.delete(request.params.id)) throw notFound(`there is no rule ${request.params.id}`);
      sync();
      return { ok: true as const };
    },
  );
}
