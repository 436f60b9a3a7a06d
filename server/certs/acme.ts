/**
 * ACME (RFC 8555, Let's Encrypt) for a domain the household owns, with the maintained `acme-client`
 * package. The certificate names tls.serverName and `<clientid>.<serverName>` for every ClientID, because
 * DoT clients send `<clientid>.<domain>` as the server name and HTTP-01 cannot prove a wildcard: each name
 * is proven over HTTP-01 (the CA fetches http://<name>/.well-known/acme-challenge/<token>, which the HTTP
 * listener answers from `AcmeChallenges`; port 80 of those names must reach tracksink's http.port, and a
 * wildcard DNS record *.<domain> → the home address makes every ClientID's name resolve).
 *
 * The account key and the certificate live in <dataDir>/tls (acme-account.key, acme.crt, acme.key). A new
 * certificate is ordered when none is stored, 30 days before it expires, or when the ClientIDs changed;
 * a failed order is logged and retried, the current certificate keeps serving.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClientAutoOptions } from 'acme-client';
import { type CheckedCertificate, checkCertificate } from './certificate-check.js';
import { acmePaths } from './tls-certificates.js';

/** Let's Encrypt allows 100 names per certificate. */
export const MAX_ACME_NAMES = 100;
const RENEW_BEFORE_MS = 30 * 86_400_000;

/** Key authorizations waiting for the CA's HTTP-01 request, by token. */
export class AcmeChallenges {
  private readonly pending = new Map<string, string>();
  set(token: string, keyAuthorization: string): void {
    this.pending.set(token, keyAuthorization);
  }
  get(token: string): string | undefined {
    return this.pending.get(token);
  }
  delete(token: string): void {
    this.pending.delete(token);
  }
}

/** The names to order: the domain, then each ClientID under it (sorted, at most MAX_ACME_NAMES in all). */
export function acmeNames(serverName: string, clientIds: Iterable<string>): string[] {
  const names = [...new Set(clientIds)].sort().map((id) => `${id}.${serverName}`);
  return [serverName, ...names].slice(0, MAX_ACME_NAMES);
}

/** True when `current` is not an ACME certificate for exactly `names`, or expires within 30 days. */
export function needsOrder(current: CheckedCertificate | null, names: string[], now = Date.now()): boolean {
  if (current === null || current.info.source !== 'acme') return true;
  if (current.expiresAt - now < RENEW_BEFORE_MS) return true;
  return [...current.info.names].sort().join() !== [...names].sort().join();
}

/** What obtainAcmeCertificate needs of an ACME client (acme-client's Client; tests pass their own CA). */
export interface AcmeClient {
  auto(options: ClientAutoOptions): Promise<string>;
}

export interface AcmeOrder {
  directoryUrl: string;
  email: string;
  names: string[];
  dataDir: string;
  challenges: AcmeChallenges;
  /** Default: acme-client's Client with the stored (or a new) account key. */
  client?: (accountKey: Buffer) => AcmeClient;
}

function readOrCreate(file: string, make: () => Promise<Buffer>): Promise<Buffer> {
  if (existsSync(file)) return Promise.resolve(readFileSync(file));
  return make().then((key) => {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, key, { mode: 0o600 });
    return key;
  });
}

/** Orders a certificate for `names` over HTTP-01, stores it, and returns it checked. */
export async function obtainAcmeCertificate(order: AcmeOrder): Promise<CheckedCertificate> {
  if (order.names.length === 0) throw new Error('ACME: no names to order (tls.serverName is empty)');
  // acme-client (~6.5 MB of heap, ~13 MB resident) loads only when a certificate is ordered, not in every
  // process that starts the HTTPS listener or answers the challenge route (bench/GAP.md).
  const acme = await import('acme-client');
  const paths = acmePaths(order.dataDir);
  const accountKey = await readOrCreate(paths.accountKeyFile, () => acme.crypto.createPrivateEcdsaKey());
  const client =
    order.client?.(accountKey) ?? new acme.Client({ directoryUrl: order.directoryUrl, accountKey });
  const [key, csr] = await acme.crypto.createCsr(
    { commonName: order.names[0], altNames: order.names },
    await acme.crypto.createPrivateEcdsaKey(),
  );
  const cert = await client.auto({
    csr,
    email: order.email,
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
      order.challenges.set(challenge.token, keyAuthorization);
    },
    challengeRemoveFn: async (_authz, challenge) => {
      order.challenges.delete(challenge.token);
    },
  });
  const checked = checkCertificate(cert, key.toString(), 'acme', paths);
  mkdirSync(dirname(paths.certFile), { recursive: true, mode: 0o700 });
  writeFileSync(paths.keyFile, key, { mode: 0o600 });
  writeFileSync(paths.certFile, cert, { mode: 0o644 });
  return checked;
}
