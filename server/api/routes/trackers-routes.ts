/** Companies and categories ranked by traffic with their devices and names; the per-company policy. */
import { NameResolver } from '../adapters/names.js';
import { requireAnalytics } from '../adapters/analytics-view.js';
import type { App, RouteContext } from '../context.js';
import { notFound, unavailable } from '../http/errors.js';
import { ErrorResponse, nameKindName } from '../schemas/common.js';
import {
  CategoryList,
  CompanyDetail,
  CompanyDetailQuery,
  CompanyKeyParams,
  CompanyList,
  CompanyPolicyBody,
  CompanyPolicyResponse,
  TrackersQuery,
  type CompanyPolicy,
  type DualUseEndpoint,
} from '../schemas/trackers.js';

export function trackersRoutes(app: App, context: RouteContext): void {
  const catalog = () => {
    if (!context.deps.catalog) throw unavailable('the tracker catalog');
    return context.deps.catalog;
  };
  const policies = (): Map<string, CompanyPolicy> => context.deps.lists?.companyPolicies() ?? new Map();
  const dualUse = (companyKey: string): DualUseEndpoint[] =>
    catalog()
      .endpoints.filter((endpoint) => endpoint.companyKey === companyKey && endpoint.use === 'dual-use')
      .map((endpoint) => ({
        domain: endpoint.domain,
        app: endpoint.appKey ? (catalog().app(endpoint.appKey)?.name ?? endpoint.appKey) : null,
        note: endpoint.what,
      }));
  /** The company's apps and sites (the catalog's apps of the company). */
  const appsOf = (companyKey: string): string[] =>
    catalog()
      .apps.filter((app) => app.companyKey === companyKey)
      .map((app) => app.name);
  const errors = { 400: ErrorResponse, 503: ErrorResponse };

  /** Catalog id of a company key; a company the catalog no longer has is listed under its id. */
  const companyIdOf = (key: string): number => {
    const known = catalog().company(key);
    if (known) return known.id;
    if (/^[1-9][0-9]{0,9}$/.test(key)) return Number(key);
    throw notFound(`there is no company "${key}" in the catalog`);
  };

  app.get(
    '/api/companies',
    { schema: { tags: ['trackers'], querystring: TrackersQuery, response: { 200: CompanyList, ...errors } } },
    async (request) => {
      const period = request.query.period ?? '24h';
      const limit = request.query.limit ?? 50;
      const analytics = requireAnalytics(context);
      const names = new NameResolver(context);
      const current = policies();
      // The ranking only: each company's devices and names come from GET /api/companies/:key, asked when
      // its card is opened (all 50 at once took seconds over 30 days of a 10 M-row log).
      const items = (await analytics.topCompanies(period, request.query.device, limit)).map((row) => {
        const company = names.company(row.companyId)!;
        const known = catalog().company(row.companyId);
        return {
          ...company,
          category: known ? names.category(catalog().category(known.categoryKey)?.id ?? 0) : null,
          queries: row.queries,
          blocked: row.blocked,
          trackingAttempts: row.trackingAttempts,
          serviceUses: row.serviceUses,
          policy: current.get(company.key) ?? ('block-tracking' as const),
          dualUse: known ? dualUse(known.key) : [],
          apps: known ? appsOf(known.key) : [],
        };
      });
      return { period, items, attribution: catalog().companiesDbInfo?.attribution ?? null };
    },
  );

  app.get(
    '/api/companies/:key',
    {
      schema: {
        tags: ['trackers'],
        params: CompanyKeyParams,
        querystring: CompanyDetailQuery,
        response: { 200: CompanyDetail, ...errors, 404: ErrorResponse },
      },
    },
    async (request) => {
      const period = request.query.period ?? '24h';
      const analytics = requireAnalytics(context);
      const names = new NameResolver(context);
      const detail = await analytics.company(
        companyIdOf(request.params.key),
        period,
        request.query.limit ?? 10,
      );
      return {
        key: request.params.key,
        period,
        queries: detail.queries,
        blocked: detail.blocked,
        trackingAttempts: detail.trackingAttempts,
        serviceUses: detail.serviceUses,
        devices: names.deviceRows(detail.devices).map((d) => ({
          id: d.id,
          name: d.name,
          queries: d.queries,
          blocked: d.blocked,
          trackingAttempts: d.trackingAttempts,
          serviceUses: d.serviceUses,
        })),
        names: detail.names.map((n) => ({ ...n, kind: nameKindName(n.kind) })),
      };
    },
  );

  app.get(
    '/api/categories',
    {
      schema: { tags: ['trackers'], querystring: TrackersQuery, response: { 200: CategoryList, ...errors } },
    },
    async (request) => {
      const period = request.query.period ?? '24h';
      const limit = request.query.limit ?? 50;
      const analytics = requireAnalytics(context);
      const names = new NameResolver(context);
      const [companiesOf, devicesOf, top] = await Promise.all([
        analytics.categoryCompanies(period, request.query.device),
        analytics.categoryDevices(period),
        analytics.topCategories(period, request.query.device, limit),
      ]);
      const items = top.map((row) => {
        const category = names.category(row.categoryId)!;
        // The companies whose tracker endpoints in this category made its queries.
        const inCategory = (companiesOf.get(row.categoryId) ?? []).map((company) => ({
          ...names.company(company.companyId)!,
          queries: company.queries,
          blocked: company.blocked,
        }));
        const devices = names
          .deviceRows(devicesOf.get(row.categoryId) ?? [])
          .filter((d) => request.query.device === undefined || d.deviceId === request.query.device)
          .slice(0, 10)
          .map((d) => ({
            id: d.id,
            name: d.name,
            queries: d.queries,
            blocked: d.blocked,
          }));
        return { ...category, queries: row.queries, blocked: row.blocked, companies: inCategory, devices };
      });
      return { period, items };
    },
  );

  const policyOf = (key: string) => {
    const company = catalog().company(key);
    if (!company) throw notFound(`there is no company "${key}" in the catalog`);
    return {
      key: company.key,
      policy: policies().get(company.key) ?? ('block-tracking' as const),
      dualUse: dualUse(company.key),
      apps: appsOf(company.key),
    };
  };

  app.get(
    '/api/companies/:key/policy',
    {
      schema: {
        tags: ['trackers'],
        params: CompanyKeyParams,
        response: { 200: CompanyPolicyResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => policyOf(request.params.key),
  );

  app.put(
    '/api/companies/:key/policy',
    {
      schema: {
        tags: ['trackers'],
        params: CompanyKeyParams,
        body: CompanyPolicyBody,
        response: { 200: CompanyPolicyResponse, ...errors, 404: ErrorResponse },
      },
    },
    async (request) => {
      policyOf(request.params.key);
      if (!context.deps.lists) throw unavailable('the list manager');
      context.deps.lists.setCompanyPolicy(request.params.key, request.body.policy);
      return policyOf(request.params.key);
    },
  );
}
