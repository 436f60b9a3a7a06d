// Calls an API route by its name in the generated route table (api-schema.ts, from the server's own
// schemas): the path, its parameters, the query, the body and the answer are all checked by the compiler,
// so a renamed route or field on the server breaks `npm run typecheck`, not a page at run time.
import type { ApiRoutes } from './api-schema.js';
import { request, withQuery, type QueryValue } from './http.js';

/** A route as "METHOD /path/{param}". */
export type Route = keyof ApiRoutes;
/** What a route takes: `params` for the {placeholders}, `query`, `body` (each only where it has one). */
export type RouteParts<R extends Route> = Omit<ApiRoutes[R], 'response'>;
/** What a route answers (its 2xx schema). */
export type RouteAnswer<R extends Route> = ApiRoutes[R]['response'];
/** The parts may be left out when nothing in them is required. */
type PartsArgument<R extends Route> =
  Record<string, never> extends RouteParts<R> ? [parts?: RouteParts<R>] : [parts: RouteParts<R>];

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface LooseParts {
  params?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

/** The URL of a route with its parameters filled in (for links, downloads and event streams). */
export function routeUrl<R extends Route>(route: R, ...[parts]: PartsArgument<R>): string {
  return urlOf(route, parts as LooseParts | undefined);
}

/** Sends a request to a route and resolves with its answer (an ApiError carries the server's message). */
export function call<R extends Route>(route: R, ...[parts]: PartsArgument<R>): Promise<RouteAnswer<R>> {
  const loose = parts as LooseParts | undefined;
  const method = route.slice(0, route.indexOf(' ')) as Method;
  return request<RouteAnswer<R>>(method, urlOf(route, loose), loose?.body);
}

function urlOf(route: Route, parts: LooseParts | undefined): string {
  const template = route.slice(route.indexOf(' ') + 1);
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = parts?.params?.[name];
    if (value === undefined) throw new Error(`${route}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
  return withQuery(path, parts?.query);
}
