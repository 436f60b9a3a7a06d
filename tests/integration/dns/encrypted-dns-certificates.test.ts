/**
 * Certificates for encrypted DNS: a configured pair is checked before it serves (an expired certificate,
 * a key of another certificate, an unreadable file are refused with a message naming the file), the
 * whole server still starts and plain DNS answers; a self-signed one is kept across restarts and made
 * again when the configured domain changes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateError, loadTlsCertificate } from '../../../server/certs/tls-certificates.js';
import { generateSelfSigned } from '../../../server/certs/self-signed.js';
import { defaultConfig } from '../../../server/config/load.js';
import { silentLogger } from '../../../server/logger.js';
import { startServices } from '../../../server/services.js';
import { dig } from '../../helpers/dns-clients.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const DAY = 86_400_000;

describe('certificates for DoT and HTTPS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-certs-'));
  const file = (name: string) => join(dir, name);
  let upstream: StubDnsServer;

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.9' });
    const good = await generateSelfSigned(['dns.example.test']);
    const other = await generateSelfSigned(['dns.example.test']);
    // Made 900 days ago: valid for 825, so it expired 75 days ago.
    const expired = await generateSelfSigned(['dns.example.test'], Date.now() - 900 * DAY);
    writeFileSync(file('good.crt'), good.cert);
    writeFileSync(file('good.key'), good.key);
    writeFileSync(file('other.key'), other.key);
    writeFileSync(file('expired.crt'), expired.cert);
    writeFileSync(file('expired.key'), expired.key);
    writeFileSync(file('garbage.crt'), 'not a certificate\n');
  });

  afterAll(async () => {
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsConfig = (certFile: string, keyFile: string, dataDir = dir) => {
    const config = defaultConfig();
    config.dataDir = dataDir;
    config.tls.certFile = certFile;
    config.tls.keyFile = keyFile;
    return config;
  };

  it('accepts a matching pair in force now', async () => {
    const loaded = await loadTlsCertificate(tlsConfig(file('good.crt'), file('good.key')));
    expect(loaded.info.source).toBe('configured');
    expect(loaded.info.names).toEqual(['dns.example.test']);
    expect(loaded.info.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it.each([
    ['expired.crt', 'expired.key', /expired\.crt: the certificate for .* expired on \d{4}-/],
    ['good.crt', 'other.key', /other\.key is not the private key of the certificate in .*good\.crt/],
    ['garbage.crt', 'good.key', /garbage\.crt: no PEM certificate in it/],
    ['missing.crt', 'good.key', /missing\.crt: cannot read the certificate \(no such file\)/],
    ['good.crt', '', /tls\.certFile and tls\.keyFile go together: tls\.keyFile is empty/],
  ])('refuses %s with %s, saying what and where', async (cert, key, message) => {
    const config = tlsConfig(cert === '' ? '' : file(cert), key === '' ? '' : file(key));
    const error = await loadTlsCertificate(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CertificateError);
    expect((error as Error).message).toMatch(message);
  });

  it('a refused certificate turns encrypted DNS off; the server starts and plain DNS answers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-certs-run-'));
    const config = tlsConfig(file('expired.crt'), file('expired.key'), dataDir);
    config.dns.bind = '127.0.0.1';
    config.dns.port = 0;
    config.http.bind = '127.0.0.1';
    config.http.port = 0;
    config.tls.dotPort = 0;
    config.tls.httpsPort = 0;
    config.dns.upstreams = [upstream.udpUrl];
    config.lists.defaults = false;
    const services = await startServices(config, silentLogger);
    try {
      const status = services.encryptedDns.status();
      expect(status.certificate).toBeNull();
      expect(status.dotPort).toBeNull();
      expect(status.httpsPort).toBeNull();
      expect(status.problems).toHaveLength(1);
      expect(status.problems[0]).toMatch(/^encrypted DNS is off: .*expired\.crt: the certificate .* expired/);
      expect(services.summary().encrypted.status.problems).toEqual(status.problems);
      const answer = await dig(services.dns.udpAddress.port, 'www.example.org');
      expect(answer.status).toBe('NOERROR');
      expect(answer.answers.map((a) => a.data)).toEqual(['192.0.2.9']);
    } finally {
      await services.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a DoT port already in use is named with its setting; HTTPS and plain DNS still serve', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-certs-port-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const config = defaultConfig();
    config.dataDir = dataDir;
    config.dns.bind = '127.0.0.1';
    config.dns.port = 0;
    config.http.bind = '127.0.0.1';
    config.http.port = 0;
    config.tls.dotPort = (taken.address() as AddressInfo).port;
    config.tls.httpsPort = 0;
    config.dns.upstreams = [upstream.udpUrl];
    config.lists.defaults = false;
    const services = await startServices(config, silentLogger);
    try {
      const status = services.encryptedDns.status();
      expect(status.dotPort).toBeNull();
      expect(status.httpsPort).toBeGreaterThan(0);
      expect(status.problems).toEqual([
        `cannot listen on DNS-over-TLS 127.0.0.1:${config.tls.dotPort}: the port is already in use (another tracksink, AdGuard Home or a web server?). Stop it, or pick another port with TRACKSINK_DOT_PORT / tls.dotPort.`,
      ]);
      expect((await dig(services.dns.udpAddress.port, 'www.example.org')).status).toBe('NOERROR');
    } finally {
      await services.stop();
      await new Promise((resolve) => taken.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps the self-signed certificate across restarts, and makes a new one for a new domain', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-certs-self-'));
    try {
      const config = defaultConfig();
      config.dataDir = dataDir;
      config.tls.serverName = 'home.example.test';
      const first = await loadTlsCertificate(config);
      const again = await loadTlsCertificate(config);
      expect(again.info.fingerprint256).toBe(first.info.fingerprint256);
      expect(readFileSync(join(dataDir, 'tls', 'self-signed.crt'), 'utf8')).toBe(first.cert);
      config.tls.serverName = 'other.example.test';
      const renamed = await loadTlsCertificate(config);
      expect(renamed.info.fingerprint256).not.toBe(first.info.fingerprint256);
      expect(renamed.info.names).toEqual(['other.example.test', '*.other.example.test']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
