/**
 * Refuses requests whose Host header is not a name of this tracksink (DNS rebinding: a web page on
 * attacker.example re-points its own name at this machine, and the browser would then treat the
 * dashboard as part of attacker.example). Allowed by default:
 *   - any IP literal: a browser sends one only when the URL holds it, so no foreign origin is involved
 *     (this also covers the LAN address behind a Docker port mapping or a router's port forward);
 *   - localhost and *.localhost (browsers resolve them to loopback themselves);
 *   - this machine's host name, its short form and <short>.local (mDNS);
 *   - names tracksink itself answers from `dns.local` (an attacker cannot point them elsewhere);
 *   - `http.allowedHosts`: exact names, ".suffix" / "*.suffix" for a domain, "*" to turn the check off.
 * DoH (/dns-query[/<clientid>]) is exempt: DNS clients reach it by any name, and it holds nothing to steal.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

export interface HostCheckOptions {
  allowedHosts: readonly string[];
  /** Names answered from config (dns.local). */
  localNames?: readonly string[];
  /** The machine's host name (os.hostname() unless a test says otherwise). */
  machineName?: string;
}

function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** The name part of a Host header: "[::1]:8080" → "::1", "nas.lan:8080" → "nas.lan". */
export function hostName(header: string): string {
  const value = header.trim();
  if (value.startsWith('['))
    return value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']'));
  if (isIP(value)) return value; // an IPv6 literal without brackets (not valid in Host, but unambiguous)
  const colon = value.lastIndexOf(':');
  return normalize(colon === -1 ? value : value.slice(0, colon));
}

export class HostPolicy {
  private readonly exact = new Set<string>(['localhost']);
  private readonly suffixes: string[] = [];
  private readonly any: boolean;

  constructor(options: HostCheckOptions) {
    const machine = normalize(options.machineName ?? hostname());
    if (machine) {
      const short = machine.split('.')[0] as string;
      for (const name of [machine, short, `${short}.local`]) this.exact.add(name);
    }
    for (const name of options.localNames ?? []) this.exact.add(normalize(name));
    let any = false;
    for (const raw of options.allowedHosts) {
      const entry = normalize(raw);
      if (entry === '*') any = true;
      else if (entry.startsWith('*.')) this.suffixes.push(entry.slice(1));
      else if (entry.startsWith('.')) this.suffixes.push(entry);
      else if (entry) this.exact.add(entry);
    }
    this.any = any;
  }

  allows(header: string | undefined): boolean {
    // No Host at all is not a browser (HTTP/1.1 browsers always send one).
    if (this.any || header === undefined || header.trim() === '') return true;
    const name = hostName(header);
    if (isIP(name)) return true;
    if (this.exact.has(name) || name.endsWith('.localhost')) return true;
    return this.suffixes.some((suffix) => name.endsWith(suffix) || name === suffix.slice(1));
  }
}

const MAX_WARNED = 100;

export function registerHostCheck(
  app: FastifyInstance,
  policy: HostPolicy,
  logger?: FastifyBaseLogger,
): void {
  const warned = new Set<string>();
  app.addHook('onRequest', async (request) => {
    if (request.url === '/dns-query' || /^\/dns-query[/?]/.test(request.url)) return;
    // The ACME CA asks by the certificate's names; the answer is a public token.
    if (request.url.startsWith('/.well-known/acme-challenge/')) return;
    const header = request.host;
    if (policy.allows(header)) return;
    const name = hostName(header).slice(0, 255);
    if (logger && !warned.has(name) && warned.size < MAX_WARNED) {
      warned.add(name);
      logger.warn(
        { host: name, client: request.ip },
        'refused a request for an unknown host name (add it to http.allowedHosts if it is yours)',
      );
    }
    throw new HttpError(
      403,
      'forbidden',
      `this tracksink does not answer to the name "${name}": open it by its IP address, or add the name to http.allowedHosts (TRACKSINK_HTTP_ALLOWED_HOSTS)`,
    );
  });
}
