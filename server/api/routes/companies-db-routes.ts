/**
 * The optional AdGuard companies database: what is imported (GET) and importing it again now (POST,
 * from AdGuard's published files unless other http(s) URLs are given). A failed download or a file that
 * does not validate changes nothing: the previous copy stays in use.
 */
import type { App, RouteContext } from '../context.js';
import { HttpError, conflict, unavailable } from '../http/errors.js';
import { CompaniesDbImportBody, CompaniesDbStatus } from '../schemas/companies-db.js';
import { ErrorResponse } from '../schemas/common.js';
import { CompaniesDbBusyError } from '../../trackers/companiesdb-updater.js';

export function companiesDbRoutes(app: App, context: RouteContext): void {
  const updater = () => {
    if (!context.deps.companiesDb) throw unavailable('the companies database import');
    return context.deps.companiesDb;
  };
  const status = () => {
    const u = updater();
    const info = u.imported();
    return {
      imported: info
        ? {
            timeUpdated: info.timeUpdated,
            trackers: info.trackers,
            domains: info.domains,
            companies: info.companies,
            origin: info.origin,
            problem: info.problem,
          }
        : null,
      lastRefusal: u.lastRefusal(),
      attribution: u.attribution,
      licence: u.licence,
      defaults: { ...u.defaults },
    };
  };

  app.get(
    '/api/companies-db',
    { schema: { tags: ['trackers'], response: { 200: CompaniesDbStatus, 503: ErrorResponse } } },
    async () => status(),
  );

  app.post(
    '/api/companies-db/import',
    {
      schema: {
        tags: ['trackers'],
        body: CompaniesDbImportBody,
        response: {
          200: CompaniesDbStatus,
          400: ErrorResponse,
          409: ErrorResponse,
          502: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request) => {
      try {
        await updater().import(request.body ?? {});
      } catch (error) {
        if (error instanceof HttpError) throw error;
        if (error instanceof CompaniesDbBusyError) throw conflict(error.message);
        // A download or validation failure: the server is fine, what it fetched was not.
        throw new HttpError(
          502,
          'bad-gateway',
          `could not import the companies database: ${(error as Error).message}; the previous copy stays in use`,
        );
      }
      return status();
    },
  );
}
