/** The query log: a filtered page newest first (keyset cursor), a CSV export, and the live tail (SSE). */
import type { FastifyRequest } from 'fastify';
import { QueryStatus } from '../../events/query-event.js';
import { NameResolver } from '../adapters/names.js';
import { QueryRowMapper } from '../adapters/query-rows.js';
import { requireAnalytics, type LogFilter } from '../adapters/analytics-view.js';
import type { App, RouteContext } from '../context.js';
import { csvLine } from '../http/csv.js';
import { HttpError, badRequest } from '../http/errors.js';
import { ErrorResponse } from '../schemas/common.js';
import {
  CsvQuery,
  QueryFilter,
  QueryPage,
  type QueryFilter as Filter,
  type QueryRow,
} from '../schemas/queries.js';

const LIVE_POLL_MS = 1000;
const LIVE_HEARTBEAT_MS = 15_000;
const LIVE_MAX_PER_TICK = 500;
/** Open live streams at once: each polls the log every second, so a runaway page cannot pile them up. */
const LIVE_MAX_STREAMS = 20;

function toLogFilter(context: RouteContext, query: Filter, limit: number): LogFilter {
  const filter: LogFilter = { limit };
  if (query.cursor !== undefined) filter.beforeId = Number(query.cursor);
  if (query.device !== undefined) filter.deviceId = query.device;
  if (query.name !== undefined) filter.name = query.name.toLowerCase();
  if (query.status !== undefined) filter.status = QueryStatus[query.status];
  if (query.company !== undefined) {
    const id = context.deps.catalog?.company(query.company)?.id;
    if (id === undefined) throw badRequest(`querystring.company: there is no company "${query.company}"`);
    filter.companyId = id;
  }
  if (query.from !== undefined) filter.from = query.from;
  if (query.to !== undefined) filter.to = query.to;
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw badRequest('querystring.from: must be before querystring.to');
  }
  return filter;
}

function matches(row: QueryRow, query: Filter): boolean {
  if (query.device !== undefined && row.device?.id !== query.device) return false;
  if (query.status !== undefined && row.status !== query.status) return false;
  if (query.name !== undefined && !row.name.includes(query.name.toLowerCase())) return false;
  if (query.company !== undefined && row.company?.key !== query.company) return false;
  return true;
}

export function queriesRoutes(app: App, context: RouteContext): void {
  let liveStreams = 0;
  const errors = { 400: ErrorResponse, 503: ErrorResponse };
  const page = async (query: Filter, limit: number) => {
    const analytics = requireAnalytics(context);
    const { rows, nextBefore } = await analytics.queries(toLogFilter(context, query, limit));
    const mapper = new QueryRowMapper(context, new NameResolver(context));
    return {
      items: rows.map((row) => mapper.map(row)),
      nextCursor: nextBefore === null ? null : String(nextBefore),
    };
  };

  app.get(
    '/api/queries',
    { schema: { tags: ['queries'], querystring: QueryFilter, response: { 200: QueryPage, ...errors } } },
    async (request) => page(request.query, request.query.limit ?? 100),
  );

  app.get(
    '/api/queries.csv',
    {
      schema: {
        tags: ['queries'],
        querystring: CsvQuery,
        response: { 200: { type: 'string', description: 'text/csv' } as const, ...errors },
      },
    },
    async (request, reply) => {
      const { items } = await page(request.query, request.query.limit ?? 10_000);
      let body = csvLine([
        'time',
        'name',
        'type',
        'status',
        'reason',
        'device',
        'client',
        'company',
        'list',
        'cname',
        'why',
      ]);
      for (const row of items) {
        body += csvLine([
          new Date(row.time).toISOString(),
          row.name,
          row.type,
          row.status,
          row.reason,
          row.device?.name ?? '',
          row.client ?? '',
          row.company?.name ?? '',
          row.list?.name ?? '',
          row.cnameTarget ?? '',
          row.why,
        ]);
      }
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', 'attachment; filename="tracksink-queries.csv"');
      return reply.send(body);
    },
  );

  app.get(
    '/api/queries/live',
    { schema: { tags: ['queries'], querystring: QueryFilter, response: { ...errors } } },
    async (request: FastifyRequest<{ Querystring: Filter }>, reply) => {
      const analytics = requireAnalytics(context);
      if (liveStreams >= LIVE_MAX_STREAMS) {
        throw new HttpError(
          429,
          'too-many-requests',
          `at most ${LIVE_MAX_STREAMS} live query streams at once`,
        );
      }
      const query = request.query;
      let lastId = await analytics.lastId();
      liveStreams++;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
        'x-accel-buffering': 'no',
      });
      raw.write(`retry: 3000\n: live query log from id ${lastId}\n\n`);
      let lastWrite = Date.now();
      // A read may take longer than the poll interval (PostgreSQL): one at a time, never piled up.
      let reading = false;
      const tick = async () => {
        if (reading) return;
        reading = true;
        try {
          const rows = await analytics.queriesAfter(lastId, LIVE_MAX_PER_TICK);
          if (stopped) return;
          if (rows.length > 0) {
            const mapper = new QueryRowMapper(context, new NameResolver(context));
            for (const row of rows) {
              lastId = Math.max(lastId, row.id);
              const mapped = mapper.map(row);
              if (!matches(mapped, query)) continue;
              raw.write(`id: ${mapped.id}\nevent: query\ndata: ${JSON.stringify(mapped)}\n\n`);
              lastWrite = Date.now();
            }
          }
          if (Date.now() - lastWrite >= LIVE_HEARTBEAT_MS) {
            raw.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
        } catch (error) {
          if (!stopped) {
            raw.write(`event: error\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`);
          }
        } finally {
          reading = false;
        }
      };
      // tick() catches its own errors.
      const timer = setInterval(() => void tick(), LIVE_POLL_MS);
      let stopped = false;
      const stop = () => {
        if (stopped) return;
        stopped = true;
        liveStreams--;
        clearInterval(timer);
      };
      request.raw.on('close', stop);
      raw.on('close', stop);
      raw.on('error', stop);
    },
  );
}
