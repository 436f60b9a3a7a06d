/**
 * ACME for a domain the household owns. No ACME server can be installed here (pebble is in neither
 * Debian nor npm), so the CA is played by the test up to the network protocol: it receives the order
 * exactly as acme-client's `auto()` would, proves every name over HTTP-01 by fetching
 * http://<name>/.well-known/acme-challenge/<token> from tracksink's real HTTP listener (Host header set to
 * the name, as the CA's request carries), and signs the CSR. The real acme-client is then pointed at a
 * local server that is no ACME directory: the failure is named, and the certificate in use stays.
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import * as acme from 'acme-client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../server/api/app.js';
import { AcmeChallenges, acmeNames, needsOrder, type AcmeClient } from '../../../server/certs/acme.js';
import { startAcmeRenewal } from '../../../server/certs/acme-renewal.js';
import type { CheckedCertificate } from '../../../server/certs/certificate-check.js';
import { loadTlsCertificate } from '../../../server/certs/tls-certificates.js';
import { defaultConfig } from '../../../server/config/load.js';
import { configRepos } from '../../../server/store/config-repos.js';
import { silentLogger } from '../../../server/logger.js';
import { openConfigDb } from '../../../server/store/sqlite.js';

const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1];

/** GET over real HTTP with the Host header a CA would send. */
function fetchAs(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A CA that behaves like acme-client's auto() from the outside: HTTP-01 for every name, then signs. */
function testCa(httpPort: number, seen: string[]): (accountKey: Buffer) => AcmeClient {
  return () => ({
    async auto(options) {
      const csrPem = options.csr.toString();
      const domains = acme.crypto.readCsrDomains(csrPem);
      const names = [domains.commonName, ...domains.altNames.filter((n) => n !== domains.commonName)];
      for (const name of names) {
        const token = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('base64url');
        const challenge = {
          type: 'http-01',
          url: 'https://ca.test/chall',
          status: 'pending',
          token,
        } as const;
        const keyAuthorization = `${token}.account-thumbprint`;
        await options.challengeCreateFn({} as never, challenge as never, keyAuthorization);
        const answer = await fetchAs(httpPort, name, `/.well-known/acme-challenge/${token}`);
        if (answer.status !== 200 || answer.body !== keyAuthorization) {
          throw new Error(`HTTP-01 failed for ${name}: ${answer.status} ${answer.body}`);
        }
        seen.push(name);
        await options.challengeRemoveFn({} as never, challenge as never, keyAuthorization);
        const gone = await fetchAs(httpPort, name, `/.well-known/acme-challenge/${token}`);
        if (gone.status !== 404) throw new Error('challenge still served after removal');
      }
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
      const cert = await x509.X509CertificateGenerator.create(
        {
          publicKey: await csr.publicKey.export(algorithm, ['verify'], crypto),
          signingKey: caKeys.privateKey,
          subject: `CN=${names[0]}`,
          issuer: 'CN=Test ACME CA',
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 90 * 86_400_000),
          signingAlgorithm: algorithm,
          extensions: [
            new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns', value }))),
          ],
        },
        crypto,
      );
      return cert.toString('pem');
    },
  });
}

describe('ACME certificates for <domain> and every <clientid>.<domain>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-acme-'));
  const challenges = new AcmeChallenges();
  let app: FastifyInstance;
  let httpPort = 0;
  let notAcme: Server;
  const config = defaultConfig();

  beforeAll(async () => {
    config.dataDir = dir;
    config.tls.serverName = 'example.test';
    config.tls.acme.email = 'household@example.test';
    const configDb = openConfigDb(join(dir, 'tracksink.db'));
    app = await buildApp({
      config,
      repos: configRepos(configDb),
      logger: silentLogger,
      acmeChallenges: challenges,
      startedAt: Date.now(),
      ready: () => true,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    httpPort = (app.server.address() as AddressInfo).port;
    notAcme = createServer((_req, res) => res.writeHead(404).end('not an ACME directory'));
    await new Promise<void>((resolve) => notAcme.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => notAcme?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('orders the domain and one name per ClientID, and orders again when they change or expiry nears', () => {
    const names = acmeNames('example.test', ['kid-tablet', 'mums-phone', 'kid-tablet']);
    expect(names).toEqual(['example.test', 'kid-tablet.example.test', 'mums-phone.example.test']);
    expect(
      acmeNames(
        'example.test',
        Array.from({ length: 150 }, (_, i) => `d${i}`),
      ),
    ).toHaveLength(100);
    const current = {
      info: { source: 'acme', names: [...names].reverse() },
      expiresAt: Date.now() + 60 * 86_400_000,
    } as unknown as CheckedCertificate;
    expect(needsOrder(current, names)).toBe(false);
    expect(needsOrder(current, [...names, 'new.example.test'])).toBe(true);
    expect(needsOrder({ ...current, expiresAt: Date.now() + 10 * 86_400_000 }, names)).toBe(true);
    expect(needsOrder({ ...current, info: { ...current.info, source: 'self-signed' } }, names)).toBe(true);
    expect(needsOrder(null, names)).toBe(true);
  });

  it('proves every name over HTTP-01 on the HTTP listener, stores the certificate and serves it from then on', async () => {
    const seen: string[] = [];
    let installed: CheckedCertificate | null = null;
    const renewal = startAcmeRenewal({
      config,
      challenges,
      clientIds: () => ['kid-tablet'],
      current: () => installed,
      onCertificate: (certificate) => (installed = certificate),
      logger: silentLogger,
      client: testCa(httpPort, seen),
      firstCheckMs: 3_600_000,
    });
    try {
      await renewal.check();
      expect(renewal.lastProblem()).toBeNull();
      expect(seen).toEqual(['example.test', 'kid-tablet.example.test']);
      expect(installed!.info.source).toBe('acme');
      expect(installed!.info.names).toEqual(['example.test', 'kid-tablet.example.test']);
      expect(readFileSync(join(dir, 'tls', 'acme.crt'), 'utf8')).toBe(installed!.cert);
      // Nothing changed: no second order.
      await renewal.check();
      expect(seen).toHaveLength(2);
      // After a restart the stored ACME certificate is the one served.
      const loaded = await loadTlsCertificate(config);
      expect(loaded.info.source).toBe('acme');
      expect(loaded.info.fingerprint256).toBe(installed!.info.fingerprint256);
    } finally {
      renewal.stop();
    }
  });

  it('with the real acme-client against a server that is no ACME CA: the problem is named, nothing replaced', async () => {
    const before = readFileSync(join(dir, 'tls', 'acme.crt'), 'utf8');
    const failing = { ...config, tls: { ...config.tls, acme: { ...config.tls.acme } } };
    failing.tls.acme.directoryUrl = `http://127.0.0.1:${(notAcme.address() as AddressInfo).port}/directory`;
    let replaced = false;
    const renewal = startAcmeRenewal({
      config: failing,
      challenges,
      clientIds: () => ['kid-tablet', 'new-phone'],
      current: () => null,
      onCertificate: () => (replaced = true),
      logger: silentLogger,
      firstCheckMs: 3_600_000,
    });
    try {
      await renewal.check();
      expect(replaced).toBe(false);
      expect(renewal.lastProblem()).toMatch(
        /^ACME: no certificate for example\.test, kid-tablet\.example\.test, new-phone\.example\.test: .*404/,
      );
      expect(readFileSync(join(dir, 'tls', 'acme.crt'), 'utf8')).toBe(before);
    } finally {
      renewal.stop();
    }
  });
});
