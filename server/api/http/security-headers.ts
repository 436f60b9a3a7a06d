/**
 * Security headers on every answer. The CSP allows no inline script; inline styles stay allowed because
 * Svelte transitions and Chart.js set them (a far smaller risk). img-src also allows the setup check's probe
 * names (see schemas/setup.ts), whose only purpose is to make the browser resolve them.
 */
import type { FastifyInstance } from 'fastify';
import { PROBE_SUFFIX } from '../schemas/setup.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: http://*.${PROBE_SUFFIX}:* https://*.${PROBE_SUFFIX}:*`,
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Browsers apply Cross-Origin-Opener-Policy only on a trustworthy origin (HTTPS, or localhost and loopback
 * over HTTP); on http://192.168.1.2 they ignore it and log a console error on every page. Send it where it
 * applies.
 */
export function coopApplies(protocol: string, hostname: string): boolean {
  if (protocol === 'https') return true;
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host.startsWith('127.') || host === '::1';
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (coopApplies(request.protocol, request.hostname))
      reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()');
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
    return payload;
  });
}
