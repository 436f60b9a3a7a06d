/**
 * GET /api/health: open, for Docker's HEALTHCHECK and monitoring. 503 until DNS listens and lists loaded;
 * then 200 with "degraded" (and the problems, in words) when a list has failed and serves nothing, or the
 * query log cannot write, or encrypted DNS is off or failing (a refused or expired certificate, a port in
 * use), or a DNS worker thread stopped and waits for its restart: DNS still answers, so a container must not
 * be restarted for it.
 */
import type { DnsWorkersHealth } from '../../dns/workers/dns-workers.js';
import { formatAddress, numberAt, statsOf } from '../adapters/module-stats.js';
import type { App, RouteContext } from '../context.js';
import { Health } from '../schemas/health.js';
import { listProblems } from '../list-problems.js';

export function listEntries(context: RouteContext): number {
  const lists = context.deps.lists;
  if (!lists) return 0;
  return (
    numberAt(lists, 'entries', 'totalEntries') ?? numberAt(statsOf(lists), 'entries', 'totalEntries') ?? 0
  );
}

/**
 * What keeps DNS-over-TLS / DoH from working: the problems encrypted-dns.ts met at start (certificate
 * refused, port in use) or since (ACME renewal), and a certificate that expired while running.
 */
function encryptedDnsProblems(context: RouteContext): Health['problems'] {
  const status = context.deps.encryptedDns?.status();
  if (!status) return [];
  const problems: Health['problems'] = status.problems.map((reason) => ({
    kind: 'encrypted-dns' as const,
    reason,
    message: `encrypted DNS (DoT/DoH): ${reason}`,
  }));
  const validTo = status.certificate ? Date.parse(status.certificate.validTo) : Number.NaN;
  if (Number.isFinite(validTo) && validTo <= context.now()) {
    const reason = `the certificate expired on ${new Date(validTo).toISOString()}`;
    problems.push({
      kind: 'encrypted-dns',
      reason,
      message: `encrypted DNS (DoT/DoH): ${reason}; phones using Private DNS cannot connect until it is renewed`,
    });
  }
  return problems;
}

/** A DNS worker thread that stopped and waits for its restart: DNS still answers, on the other threads. */
function dnsThreadProblems(threads: DnsWorkersHealth | null, now: number): Health['problems'] {
  return (threads?.down ?? []).map(({ thread, reason, restartAt }) => ({
    kind: 'dns-thread' as const,
    reason,
    message:
      `DNS thread ${thread} of ${threads!.planned} stopped (${reason}); the other threads answer its share ` +
      `of the queries, and it is started again in ${Math.max(0, Math.ceil((restartAt - now) / 1000))} s`,
  }));
}

export function healthRoutes(app: App, context: RouteContext): void {
  const { deps } = context;
  app.get(
    '/api/health',
    { config: { public: true }, schema: { tags: ['health'], response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const ready = deps.ready();
      const log = deps.queryLog?.stats() ?? { written: 0, dropped: 0, error: null };
      const problems: Health['problems'] = listProblems(deps.lists?.list() ?? []).map((problem) => ({
        kind: 'list' as const,
        list: problem.list,
        source: problem.source,
        reason: problem.reason,
        main: problem.main,
        message: problem.message,
      }));
      problems.push(...encryptedDnsProblems(context));
      if (log.error)
        problems.push({
          kind: 'log',
          reason: log.error,
          message: `the query log cannot be written: ${log.error}`,
        });
      const threads = deps.dns?.workerHealth?.() ?? null;
      problems.push(...dnsThreadProblems(threads, context.now()));
      const replica = deps.replica && { name: deps.replica.name, ...deps.replica.status() };
      if (replica && !replica.reachable)
        problems.push({
          kind: 'database',
          reason: replica.error ?? 'unreachable',
          message: `PostgreSQL (${replica.database}) cannot be reached: DNS answers from this replica's last configuration, and the query log waits in memory until it is back`,
        });
      const body = {
        status: ready
          ? problems.length > 0
            ? ('degraded' as const)
            : ('ok' as const)
          : ('starting' as const),
        version: deps.version ?? '0.1.0',
        dns: {
          udp: formatAddress(deps.dns?.udpAddress),
          tcp: formatAddress(deps.dns?.tcpAddress),
          ...(threads === null
            ? {}
            : {
                threads: { planned: threads.planned, running: threads.running, restarts: threads.restarts },
              }),
        },
        lists: { entries: listEntries(context), loaded: ready },
        log: { written: log.written, dropped: log.dropped, error: log.error },
        uptime: Math.max(0, (context.now() - deps.startedAt) / 1000),
        ...(replica ? { replica } : {}),
        problems,
      };
      return reply.status(ready ? 200 : 503).send(body);
    },
  );
}
