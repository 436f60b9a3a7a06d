/** GET /api/explain?name=…&device=…: every rule and list that matches, the winner and why, the company. */
import { qtypeCode } from '../../metrics/qtype-names.js';
import { NameResolver } from '../adapters/names.js';
import type { App, RouteContext } from '../context.js';
import { normaliseDomain } from '../http/domain-name.js';
import { badRequest, unavailable } from '../http/errors.js';
import { ErrorResponse, nameKindName } from '../schemas/common.js';
import { ExplainQuery, Explanation } from '../schemas/explain.js';

const VERDICTS = { block: 'blocked', allow: 'allowed', rewrite: 'rewritten', none: 'none' } as const;

export function explainRoutes(app: App, context: RouteContext): void {
  app.get(
    '/api/explain',
    {
      schema: {
        tags: ['explain'],
        querystring: ExplainQuery,
        response: { 200: Explanation, 400: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const policy = context.deps.policy;
      if (!policy) throw unavailable('the filter (policy engine)');
      const normalised = normaliseDomain(request.query.name);
      if ('problem' in normalised) throw badRequest(`querystring.name: ${normalised.problem}`);
      const qtype = request.query.type ? qtypeCode(request.query.type) : 1;
      if (qtype === undefined)
        throw badRequest(`querystring.type: "${request.query.type}" is not a DNS query type`);
      const lists = context.deps.lists;
      const lineText = lists
        ? (listId: number, line: number) => lists.lineText(listId, line) ?? undefined
        : undefined;
      const result = policy.explain(normalised.name, request.query.device ?? 0, qtype, lineText);
      const names = new NameResolver(context);
      const described = context.deps.catalog?.describe(normalised.name);
      return {
        name: result.name,
        deviceId: result.deviceId || null,
        verdict: VERDICTS[result.action],
        reason: result.reason,
        summary: result.why,
        matches: result.matches.map((entry) => ({
          source: entry.source,
          action: entry.effect,
          listId: entry.listId || null,
          listName: entry.listName || null,
          line: entry.line || null,
          ruleId: entry.ruleId || null,
          text: entry.text ?? null,
          applies: entry.applies,
          winner: entry.winner,
          outcome: entry.outcome,
        })),
        company: result.company ? names.company(result.company.companyId) : null,
        category: result.company ? (names.category(result.company.categoryId)?.name ?? null) : null,
        app: result.company ? (names.app(result.company.appId)?.name ?? null) : null,
        companyPolicy: result.company?.policy ?? null,
        paused: result.paused,
        tracking: result.company?.tracking ?? false,
        dualUse: result.company?.dualUse ?? false,
        attribution:
          described?.matchedDomain != null
            ? {
                kind: nameKindName(described.kind),
                matchedDomain: described.matchedDomain,
                source: described.source,
                what: described.endpoint?.what ?? null,
              }
            : null,
      };
    },
  );
}
