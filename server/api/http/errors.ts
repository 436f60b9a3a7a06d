/**
 * One error shape for the whole API: `{ error, message }`. HttpError carries a status and a kind; the
 * validation formatter turns Ajv's errors into one sentence that names the field and the problem.
 */
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly kind: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, 'bad-request', message);
export const notFound = (message: string): HttpError => new HttpError(404, 'not-found', message);
export const conflict = (message: string): HttpError => new HttpError(409, 'conflict', message);
export const unavailable = (what: string): HttpError =>
  new HttpError(503, 'unavailable', `${what} is not running on this server`);

const KIND_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'too-large',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
  503: 'unavailable',
};

export function kindFor(status: number): string {
  return KIND_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'error');
}

/** `/dns/blocking/ttl` → `dns.blocking.ttl`; array indexes as `[2]`. */
function dotted(instancePath: string): string {
  return instancePath
    .split('/')
    .filter((part) => part.length > 0)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
}

function describe(error: FastifySchemaValidationError): string {
  const params = error.params as Record<string, unknown>;
  const list = (value: unknown) =>
    (Array.isArray(value) ? value : [value]).map((item) => `"${String(item)}"`);
  switch (error.keyword) {
    case 'required': {
      const missing = list(params.requiredProperties ?? params.missingProperty);
      return missing.length === 1 ? `${missing[0]} is required` : `${missing.join(', ')} are required`;
    }
    case 'additionalProperties':
      return `unknown field ${list(params.additionalProperties ?? params.additionalProperty).join(', ')}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue ?? params.value)}`;
    case 'type':
      return `must be ${params.type === 'integer' ? 'an integer' : `of type ${String(params.type)}`}`;
    case 'minProperties':
      return 'must not be empty';
    case 'pattern':
      return `has the wrong format (expected pattern ${String(params.pattern)})`;
    default:
      return error.message ?? 'is not valid';
  }
}

/** Ajv errors → one clear sentence: `body.password: must NOT have fewer than 8 characters`. */
export function formatValidationErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  // A union fails once per branch: gather the constants and types each path would accept.
  const constants = new Map<string, unknown[]>();
  const types = new Map<string, string[]>();
  for (const error of errors) {
    const params = error.params as { allowedValue?: unknown; value?: unknown; type?: string };
    if (error.keyword === 'const') {
      constants.set(error.instancePath, [
        ...(constants.get(error.instancePath) ?? []),
        params.allowedValue ?? params.value,
      ]);
    } else if (error.keyword === 'type' && params.type) {
      types.set(error.instancePath, [...(types.get(error.instancePath) ?? []), params.type]);
    }
  }
  const seen = new Set<string>();
  const parts: string[] = [];
  // "schema is false" (TypeBox's twin of additionalProperties) and the union summary say nothing new.
  const useful = errors.filter((error) => error.keyword !== 'boolean' && error.keyword !== 'anyOf');
  for (const error of useful.length > 0 ? useful : errors) {
    const path = dotted(error.instancePath);
    if (seen.has(path)) continue;
    seen.add(path);
    const where = path ? `${dataVar}.${path}` : dataVar;
    let what = describe(error);
    const allowed = constants.get(error.instancePath);
    const accepted = types.get(error.instancePath);
    if (allowed && allowed.length > 1)
      what = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    else if (error.keyword === 'type' && accepted && accepted.length > 1)
      what = `must be of type ${accepted.join(' or ')}`;
    parts.push(`${where}: ${what}`);
  }
  const error = new Error(parts.slice(0, 3).join('; ')) as Error & { statusCode: number };
  error.statusCode = 400;
  return error;
}
