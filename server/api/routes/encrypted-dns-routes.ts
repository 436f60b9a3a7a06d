/**
 * Encrypted DNS on the Setup page (schemas/encrypted-dns.ts): the listeners and certificate, ClientIDs
 * per device, the Apple profile to download, and a one-hour link to it as a QR code, which the phone's
 * camera opens without logging in (the token is the only key; it names one ClientID and expires).
 */
import { randomBytes } from 'node:crypto';
import { ClientIdError, parseClientId, suggestClientId } from '../../devices/client-ids.js';
import { ClientIdInUseError } from '../../devices/client-id-directory.js';
import type { FastifyReply } from 'fastify';
import { renderSVG } from 'uqr';
import type { App, RouteContext } from '../context.js';
import type { AppDeps } from '../deps.js';
import { badRequest, conflict, notFound, unavailable } from '../http/errors.js';
import { lanAddresses } from '../lan-addresses.js';
import { ErrorResponse, Ok } from '../schemas/common.js';
import {
  ClientIdAssignBody,
  ClientIdParams,
  EncryptedDnsSetup,
  ProfileLink,
  ProfileQuery,
  ProfileTokenParams,
} from '../schemas/encrypted-dns.js';
import { type ProfileProtocol, appleProfile } from '../setup/apple-profile.js';

const LINK_TTL_MS = 3_600_000;
const MAX_LINKS = 1_000;

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The host devices reach tracksink by: the configured domain, else the page's host, else a LAN address. */
function serverHost(deps: AppDeps, pageHost: string): string {
  if (deps.config.tls.serverName !== '') return deps.config.tls.serverName;
  if (!isLoopbackHost(pageHost)) return pageHost;
  return lanAddresses(deps.config.http.bind).find((a) => !isLoopbackHost(a)) ?? pageHost;
}

function clientIdOrThrow(raw: string): string {
  try {
    return parseClientId(raw);
  } catch (error) {
    if (error instanceof ClientIdError) throw badRequest(error.message);
    throw error;
  }
}

export function encryptedDnsRoutes(app: App, { deps, now }: RouteContext): void {
  const links = new Map<
    string,
    { clientId: string; protocol: ProfileProtocol; host: string; expiresAt: number }
  >();

  const clientIds = () => {
    if (!deps.clientIds) throw unavailable('device identification by ClientID');
    return deps.clientIds;
  };
  const status = () => {
    if (!deps.encryptedDns) throw unavailable('encrypted DNS');
    return deps.encryptedDns.status();
  };

  const dohUrl = (host: string, clientId: string, httpsPort: number | null): string | null =>
    httpsPort === null
      ? null
      : `https://${urlHost(host)}${httpsPort === 443 ? '' : `:${httpsPort}`}/dns-query/${clientId}`;

  const profileFor = (clientId: string, protocol: ProfileProtocol, host: string): string => {
    const s = status();
    if (s.certificate === null) throw unavailable(`encrypted DNS (${s.problems.join('; ') || 'turned off'})`);
    const url = dohUrl(host, clientId, s.httpsPort);
    if (protocol === 'HTTPS' && url === null) throw unavailable('HTTPS');
    if (protocol === 'TLS' && s.serverName === '') {
      throw badRequest('a DNS-over-TLS profile needs tls.serverName (the domain in <clientid>.<domain>)');
    }
    return appleProfile({
      clientId,
      protocol,
      serverUrl: url ?? '',
      serverName: s.serverName === '' ? null : `${clientId}.${s.serverName}`,
      serverAddresses: s.serverName === '' ? [host] : [],
      selfSignedPem: s.selfSignedPem,
    });
  };

  const sendProfile = (reply: FastifyReply, clientId: string, profile: string) =>
    reply
      .header('content-type', 'application/x-apple-aspen-config')
      .header('content-disposition', `attachment; filename="tracksink-${clientId}.mobileconfig"`)
      .header('cache-control', 'no-store')
      .send(profile);

  app.get(
    '/api/setup/encrypted-dns',
    { schema: { tags: ['setup'], response: { 200: EncryptedDnsSetup, 503: ErrorResponse } } },
    async (request) => {
      const s = status();
      if (!deps.devices) throw unavailable('the device registry');
      const host = serverHost(deps, request.hostname);
      const byDevice = clientIds().byDevice();
      return {
        enabled: s.enabled,
        serverName: s.serverName,
        dotPort: s.dotPort,
        httpsPort: s.httpsPort,
        certificate: s.certificate,
        problems: s.problems,
        devices: deps.devices.list().map((device) => ({
          id: device.id,
          name: device.name,
          clientIds: (byDevice.get(device.id) ?? []).map((clientId) => ({
            clientId,
            privateDnsHost: s.serverName === '' ? null : `${clientId}.${s.serverName}`,
            dohUrl: dohUrl(host, clientId, s.httpsPort),
          })),
          suggestedClientId: device.name === null ? null : suggestClientId(device.name),
        })),
      };
    },
  );

  app.post(
    '/api/setup/client-ids',
    {
      schema: {
        tags: ['setup'],
        body: ClientIdAssignBody,
        response: { 200: Ok, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const { deviceId, clientId, move } = request.body;
      if (!deps.devices?.get(deviceId)) throw notFound(`device ${deviceId} does not exist`);
      try {
        clientIds().assign(deviceId, clientId, move === true);
      } catch (error) {
        if (error instanceof ClientIdError) throw badRequest(`body.clientId: ${error.message}`);
        if (error instanceof ClientIdInUseError) {
          const owner = deps.devices.get(error.deviceId);
          throw conflict(
            `ClientID "${error.clientId}" already names ${owner?.name ?? `device ${error.deviceId}`}; send "move": true to give it to this device`,
          );
        }
        throw error;
      }
      return { ok: true as const };
    },
  );

  app.delete(
    '/api/setup/client-ids/:clientId',
    {
      schema: {
        tags: ['setup'],
        params: ClientIdParams,
        response: { 200: Ok, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const clientId = clientIdOrThrow(request.params.clientId);
      if (!clientIds().remove(clientId)) throw notFound(`no device has the ClientID "${clientId}"`);
      return { ok: true as const };
    },
  );

  app.get(
    '/api/setup/client-ids/:clientId/profile.mobileconfig',
    {
      schema: {
        tags: ['setup'],
        summary: 'Apple configuration profile (com.apple.dnsSettings.managed) for this ClientID',
        params: ClientIdParams,
        querystring: ProfileQuery,
      },
    },
    async (request, reply) => {
      const clientId = clientIdOrThrow(request.params.clientId);
      if (clientIds().deviceOf(clientId) === null) throw notFound(`no device has the ClientID "${clientId}"`);
      const protocol = request.query.protocol === 'tls' ? 'TLS' : 'HTTPS';
      return sendProfile(reply, clientId, profileFor(clientId, protocol, serverHost(deps, request.hostname)));
    },
  );

  app.post(
    '/api/setup/client-ids/:clientId/link',
    {
      schema: {
        tags: ['setup'],
        summary: 'A one-hour link to the Apple profile, and its QR code, for the phone to open',
        params: ClientIdParams,
        querystring: ProfileQuery,
        response: { 200: ProfileLink, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const clientId = clientIdOrThrow(request.params.clientId);
      if (clientIds().deviceOf(clientId) === null) throw notFound(`no device has the ClientID "${clientId}"`);
      const protocol = request.query.protocol === 'tls' ? 'TLS' : 'HTTPS';
      const host = serverHost(deps, request.hostname);
      profileFor(clientId, protocol, host); // refuse now rather than on the phone
      const time = now();
      for (const [token, link] of links) if (link.expiresAt <= time) links.delete(token);
      if (links.size >= MAX_LINKS) links.delete(links.keys().next().value!);
      const token = randomBytes(18).toString('base64url');
      links.set(token, { clientId, protocol, host, expiresAt: time + LINK_TTL_MS });
      // The page's own origin when a phone can reach it, else this machine's LAN address.
      const pageHost = isLoopbackHost(request.hostname)
        ? urlHost(serverHost(deps, request.hostname)) + (request.port ? `:${request.port}` : '')
        : request.host;
      const url = `${request.protocol}://${pageHost}/api/setup/profile/${token}`;
      return {
        url,
        expiresInSeconds: LINK_TTL_MS / 1000,
        qrSvg: renderSVG(url, { border: 2 }),
      };
    },
  );

  // HTTP-01 (certs/acme.ts): the ACME CA fetches this from http://<name>/ while a certificate is ordered.
  app.get(
    '/.well-known/acme-challenge/:token',
    {
      config: { public: true },
      schema: {
        tags: ['setup'],
        summary: 'HTTP-01 answer for the ACME CA (a public token)',
        params: { type: 'object', properties: { token: { type: 'string', maxLength: 128 } } },
      },
    },
    async (request, reply) => {
      const { token } = request.params as { token: string };
      const answer = deps.acmeChallenges?.get(token);
      if (answer === undefined) throw notFound('no ACME challenge with this token');
      return reply.header('content-type', 'text/plain').send(answer);
    },
  );

  app.get(
    '/api/setup/profile/:token',
    {
      config: { public: true },
      schema: { tags: ['setup'], summary: 'The Apple profile behind a QR link', params: ProfileTokenParams },
    },
    async (request, reply) => {
      const link = links.get(request.params.token);
      if (link === undefined || link.expiresAt <= now()) {
        throw notFound('this link has expired or does not exist: make a new QR code on the Setup page');
      }
      return sendProfile(reply, link.clientId, profileFor(link.clientId, link.protocol, link.host));
    },
  );
}
