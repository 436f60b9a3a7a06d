/**
 * DNS-over-HTTPS server endpoint (RFC 8484): GET /dns-query?dns=<base64url> and POST with an
 * application/dns-message body, answered by the same pipeline as UDP/TCP (`dns.answer`). Open like
 * port 53: DNS access control applies inside the pipeline by client address.
 */
import { Protocol } from '../../events/query-event.js';
import type { App, RouteContext } from '../context.js';
import { HttpError, badRequest, unavailable } from '../http/errors.js';

const DNS_MESSAGE = 'application/dns-message';
const MAX_MESSAGE = 65_535;

export function dohRoutes(app: App, { deps }: RouteContext): void {
  app.addContentTypeParser(
    DNS_MESSAGE,
    { parseAs: 'buffer', bodyLimit: MAX_MESSAGE },
    (_request, body, done) => done(null, body),
  );

  const answer = async (query: Buffer, clientAddress: string): Promise<Buffer> => {
    if (!deps.dns) throw unavailable('the DNS server');
    if (query.length < 12) throw badRequest('the DNS message is shorter than a DNS header (12 bytes)');
    const reply = await deps.dns.answer(query, clientAddress, Protocol.doh);
    // The pipeline sends nothing for dropped (rate-limited) or unreadable queries.
    if (!reply)
      throw new HttpError(400, 'bad-request', 'the DNS message was not answered (malformed or rate limited)');
    return reply;
  };

  const schema = { tags: ['dns'], summary: 'DNS-over-HTTPS (RFC 8484)' };

  app.get(
    '/dns-query',
    {
      config: { public: true },
      schema: {
        ...schema,
        querystring: {
          type: 'object',
          properties: { dns: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', maxLength: 87_382 } },
          required: ['dns'],
        },
      },
    },
    async (request, reply) => {
      const { dns } = request.query as { dns: string };
      const packet = await answer(Buffer.from(dns, 'base64url'), request.ip);
      return reply.header('content-type', DNS_MESSAGE).header('cache-control', 'no-store').send(packet);
    },
  );

  app.post('/dns-query', { config: { public: true }, schema }, async (request, reply) => {
    if (request.headers['content-type']?.split(';')[0]?.trim() !== DNS_MESSAGE) {
      throw new HttpError(415, 'unsupported-media-type', `content-type must be ${DNS_MESSAGE}`);
    }
    const packet = await answer(request.body as Buffer, request.ip);
    return reply.header('content-type', DNS_MESSAGE).header('cache-control', 'no-store').send(packet);
  });
}
