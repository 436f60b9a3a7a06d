/**
 * The Setup page's API for encrypted DNS, against the whole product in-process: per device its ClientIDs,
 * the Android "Private DNS" host name, the Apple profile (.mobileconfig, com.apple.dnsSettings.managed)
 * with the self-signed certificate it must trust, and a one-hour QR link the phone opens without a login.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncryptedDnsSetup } from '../../../server/api/schemas/encrypted-dns.js';
import { silentLogger } from '../../../server/logger.js';
import { startServices, type Services } from '../../../server/services.js';
import { kdig } from '../../helpers/dns-clients.js';
import { encryptedDnsConfig, firstRunSession } from '../../helpers/in-process-product.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

describe('Setup page API for encrypted DNS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-encrypted-setup-'));
  let upstream: StubDnsServer;
  let services: Services;
  let request: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  let httpsPort = 0;

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.8' });
    services = await startServices(encryptedDnsConfig(dir, upstream), silentLogger);
    httpsPort = services.encryptedDns.httpsAddress!.port;
    request = await firstRunSession(services, dir, 'encrypted setup test');
    // A phone set to Private DNS kid-tablet.example.test.
    const first = await kdig(services.encryptedDns.dotAddress!.port, 'www.example.org', 'A', [
      '+tls',
      '+tls-sni=kid-tablet.example.test',
    ]);
    expect(first.status, first.raw).toBe('NOERROR');
    // And a device known only by its address (plain DNS from 127.0.0.1).
    const plain = await kdig(services.dns.udpAddress.port, 'www.example.org');
    expect(plain.status, plain.raw).toBe('NOERROR');
  }, 60_000);

  afterAll(async () => {
    await services?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const setupInfo = async (): Promise<EncryptedDnsSetup> => {
    const response = await request({ method: 'GET', url: '/api/setup/encrypted-dns' });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as EncryptedDnsSetup;
  };

  it('names the listeners, the certificate fingerprint and each device with its Private DNS host name', async () => {
    const info = await setupInfo();
    expect(info.httpsPort).toBe(httpsPort);
    expect(info.dotPort).toBe(services.encryptedDns.dotAddress!.port);
    const onDisk = new X509Certificate(readFileSync(join(dir, 'tls', 'self-signed.crt')));
    expect(info.certificate?.fingerprint256).toBe(onDisk.fingerprint256);
    const tablet = info.devices.find((device) => device.name === 'kid-tablet');
    expect(tablet?.clientIds).toEqual([
      {
        clientId: 'kid-tablet',
        privateDnsHost: 'kid-tablet.example.test',
        dohUrl: `https://example.test:${httpsPort}/dns-query/kid-tablet`,
      },
    ]);
  });

  it('gives a device a ClientID; refuses one that is no host-name label, and one another device has', async () => {
    const info = await setupInfo();
    const tablet = info.devices.find((device) => device.name === 'kid-tablet')!;
    const other = info.devices.find((device) => device.id !== tablet.id)!;
    expect(other.clientIds).toEqual([]);
    const id = other.id;
    const bad = await request({
      method: 'POST',
      url: '/api/setup/client-ids',
      payload: { deviceId: id, clientId: "Mum's phone" },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/body\.clientId: ClientID "Mum's phone" may only hold letters/);
    const taken = await request({
      method: 'POST',
      url: '/api/setup/client-ids',
      payload: { deviceId: other.id, clientId: 'kid-tablet' },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().message).toMatch(/already names kid-tablet; send "move": true/);
    const ok = await request({
      method: 'POST',
      url: '/api/setup/client-ids',
      payload: { deviceId: id, clientId: 'Mums-Phone' },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(services.devices.clientIds.deviceOf('mums-phone')).toBe(id);
    const missing = await request({ method: 'DELETE', url: '/api/setup/client-ids/nobody' });
    expect(missing.statusCode).toBe(404);
    const removed = await request({ method: 'DELETE', url: '/api/setup/client-ids/mums-phone' });
    expect(removed.statusCode).toBe(200);
    expect(services.devices.clientIds.deviceOf('mums-phone')).toBeNull();
  });

  it('a backup carries the ClientIDs; a restore brings them back, and refuses a bad one by name', async () => {
    const exported = await request({ method: 'GET', url: '/api/export' });
    expect(exported.statusCode, exported.body).toBe(200);
    const file = exported.json() as { clientIds: Array<{ clientId: string; deviceId: number }> };
    const tabletId = services.devices.clientIds.deviceOf('kid-tablet')!;
    expect(file.clientIds).toEqual([expect.objectContaining({ clientId: 'kid-tablet', deviceId: tabletId })]);
    const bad = await request({
      method: 'POST',
      url: '/api/import',
      payload: { ...file, clientIds: [{ ...file.clientIds[0]!, clientId: 'kid_tablet' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/clientIds\[0\]\.clientId: ClientID "kid_tablet" may only hold/);
    expect(services.devices.clientIds.deviceOf('kid-tablet')).toBe(tabletId);
    const restored = await request({ method: 'POST', url: '/api/import', payload: file });
    expect(restored.statusCode, restored.body).toBe(200);
    expect(services.devices.clientIds.deviceOf('kid-tablet')).toBe(tabletId);
    // After the import the next encrypted query is still the same device, not a new one.
    const count = services.devices.list().length;
    const again = await kdig(services.encryptedDns.dotAddress!.port, 'www.example.org', 'A', [
      '+tls',
      '+tls-sni=kid-tablet.example.test',
    ]);
    expect(again.status).toBe('NOERROR');
    expect(services.devices.list().length).toBe(count);
  });

  it('serves an Apple profile for DoH, with the self-signed certificate to trust', async () => {
    const response = await request({
      method: 'GET',
      url: '/api/setup/client-ids/kid-tablet/profile.mobileconfig',
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(response.headers['content-disposition']).toContain('tracksink-kid-tablet.mobileconfig');
    const plist = response.body;
    expect(plist).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist/);
    expect(plist).toContain('<key>PayloadType</key><string>com.apple.dnsSettings.managed</string>');
    expect(plist).toContain('<key>DNSProtocol</key><string>HTTPS</string>');
    expect(plist).toContain(
      `<key>ServerURL</key><string>https://example.test:${httpsPort}/dns-query/kid-tablet</string>`,
    );
    const der = /<key>PayloadContent<\/key><data>([A-Za-z0-9+/=]+)<\/data>/.exec(plist)?.[1];
    expect(der).toBeDefined();
    const digest = createHash('sha256').update(Buffer.from(der!, 'base64')).digest('hex');
    const fingerprint = (await setupInfo()).certificate!.fingerprint256.replace(/:/g, '').toLowerCase();
    expect(digest).toBe(fingerprint);
    // Same ClientID, same server: the same UUIDs, so installing again replaces the profile.
    const again = await request({
      method: 'GET',
      url: '/api/setup/client-ids/kid-tablet/profile.mobileconfig',
    });
    expect(again.body).toBe(plist);
  });

  it('serves an Apple profile for DoT with ServerName <clientid>.<domain>', async () => {
    const response = await request({
      method: 'GET',
      url: '/api/setup/client-ids/kid-tablet/profile.mobileconfig?protocol=tls',
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<key>DNSProtocol</key><string>TLS</string>');
    expect(response.body).toContain('<key>ServerName</key><string>kid-tablet.example.test</string>');
    expect(response.body).not.toContain('ServerURL');
  });

  it('a QR link opens the profile without a login for an hour; other tokens and unknown ClientIDs do not', async () => {
    const link = await request({ method: 'POST', url: '/api/setup/client-ids/kid-tablet/link' });
    expect(link.statusCode, link.body).toBe(200);
    const { url, qrSvg, expiresInSeconds } = link.json() as {
      url: string;
      qrSvg: string;
      expiresInSeconds: number;
    };
    expect(expiresInSeconds).toBe(3600);
    expect(qrSvg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    const path = new URL(url).pathname;
    expect(path).toMatch(/^\/api\/setup\/profile\/[A-Za-z0-9_-]{24}$/);
    const open = await services.app.inject({ method: 'GET', url: path });
    expect(open.statusCode).toBe(200);
    expect(open.body).toContain('/dns-query/kid-tablet');
    const forged = await services.app.inject({
      method: 'GET',
      url: '/api/setup/profile/AAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(forged.statusCode).toBe(404);
    expect(forged.json().message).toMatch(/expired or does not exist/);
    const unknown = await request({ method: 'POST', url: '/api/setup/client-ids/nobody/link' });
    expect(unknown.statusCode).toBe(404);
    const loggedOut = await services.app.inject({
      method: 'GET',
      url: '/api/setup/client-ids/kid-tablet/profile.mobileconfig',
    });
    expect(loggedOut.statusCode).toBe(401);
  });
});
