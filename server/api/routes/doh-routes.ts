/**
 * DNS-over-HTTPS server endpoint (RFC 8484): GET /dns-query?dns=<base64url> and POST with an
 * application/dns-message body, answered by the same pipeline as UDP/TCP (`dns.answer`). Open like
 * port 53: DNS access control applies inside the pipeline by client address.
 *
 * `/dns-query/<clientid>` (AdGuard Home's and NextDNS's convention) names the device by its ClientID
 * instead of its address: an Apple profile or a browser set to that URL is the same device at home and
 * away. A ClientID that is not a host-name label is refused with 400 and says why.
 */
import { ClientIdError, isClientId, parseClientId } from '../../devices/client-ids.js';
import { Protocol } from '../../events/query-event.js';
import type { App, RouteContext } from '../context.js';
import { HttpError, badRequest, unavailable } from '../http/errors.js';

const DNS_MESSAGE = 'application/dns-message';
const MAX_MESSAGE = 65_535;

const dnsQuerystring = {
  type: 'object',
  properties: { dns: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', maxLength: 87_382 } },
  required: ['dns'],
} as const;
const clientIdParams = {
  type: 'object',
  properties: { clientId: { type: 'string', maxLength: 255 } },
  required: ['clientId'],
} as const;

export function dohRoutes(app: App, { deps }: RouteContext): void {
  app.addContentTypeParser(
    DNS_MESSAGE,
    { parseAs: 'buffer', bodyLimit: MAX_MESSAGE },
    (_request, body, done) => done(null, body),
  );

  const answer = async (query: Buffer, clientAddress: string, deviceId = -1): Promise<Buffer> => {
    if (!deps.dns) throw unavailable('the DNS server');
    if (query.length < 12) throw badRequest('the DNS message is shorter than a DNS header (12 bytes)');
    const reply = await deps.dns.answer(query, clientAddress, Protocol.doh, deviceId);
    // The pipeline sends nothing for dropped (rate-limited) or unreadable queries.
    if (!reply)
      throw new HttpError(400, 'bad-request', 'the DNS message was not answered (malformed or rate limited)');
    return reply;
  };

  /** The device a ClientID in the path names (created when new); lower case costs nothing when it is. */
  const deviceFor = (raw: string, clientAddress: string): number => {
    if (!deps.clientIds) throw unavailable('device identification by ClientID');
    let clientId = raw;
    if (!isClientId(clientId)) {
      try {
        clientId = parseClientId(raw);
      } catch (error) {
        if (error instanceof ClientIdError) throw badRequest(`${error.message} (in /dns-query/<clientid>)`);
        throw error;
      }
    }
    // From outside DNS access control only a known ClientID is let in (-1: refused by address).
    return deps.clientIds.deviceIdFor(clientId, deps.dns?.allows?.(clientAddress) ?? true);
  };

  const schema = { tags: ['dns'], summary: 'DNS-over-HTTPS (RFC 8484)' };
  const withClientId = {
    tags: ['dns'],
    summary: 'DNS-over-HTTPS with the device named by a ClientID (one host-name label)',
  };

  const requireDnsMessage = (contentType: string | undefined): void => {
    if (contentType?.split(';')[0]?.trim() !== DNS_MESSAGE) {
      throw new HttpError(415, 'unsupported-media-type', `content-type must be ${DNS_MESSAGE}`);
    }
  };

  app.get(
    '/dns-query',
    { config: { public: true }, schema: { ...schema, querystring: dnsQuerystring } },
    async (request, reply) => {
      const { dns } = request.query as { dns: string };
      const packet = await answer(Buffer.from(dns, 'base64url'), request.ip);
      return reply.header('content-type', DNS_MESSAGE).header('cache-control', 'no-store').send(packet);
    },
  );

  app.post('/dns-query', { config: { public: true }, schema }, async (request, reply) => {
    requireDnsMessage(request.headers['content-type']);
    const packet = await answer(request.body as Buffer, request.ip);
    return reply.header('content-type', DNS_MESSAGE).header('cache-control', 'no-store').send(packet);
  });

  app.get(
    '/dns-query/:clientId',
    {
      config: { public: true },
      schema: { ...withClientId, params: clientIdParams, querystring: dnsQuerystring },
    },
    async (request, reply) => {
      const { clientId } = request.params as { clientId: string };
      const deviceId = deviceFor(clientId, request.ip);
      const { dns } = request.query as { dns: string };
      const packet = await answer(Buffer.from(dns, 'base64url'), request.ip, deviceId);
      return reply.header('content-type', DNS_MESSAGE).header('cache-control', 'no-store').send(packet);
    },
  );

  app.post(
    '/dns-query/:clientId',
    { config: { public: true }, schema: { ...withClientId, params: clientIdParams } },
    async (request, reply) => {
      requireDnsMessage(request.headers['content-type']);
      const { clientId } = request.params as { clientId: string };
      const packet = await answer(request.body as Buffer, request.ip, deviceFor(clientId, request.ip));
      return reply.header('content-type', DNS_MESSAGE).header('cache-control', 'no-store').send(packet);
    },
  );
}
