/**
 * Encrypted DNS with per-device ClientIDs, the whole product in-process (services.ts) on loopback ports
 * with a stub upstream, driven by real clients: kdig over TLS and HTTPS (Knot's independent
 * implementation), Node's tls and http2. A phone set to Private DNS `kid-tablet.example.test` is the
 * device "kid-tablet" over DoT, and the same device over DoH at /dns-query/kid-tablet.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../server/config/schema.js';
import { silentLogger } from '../../../server/logger.js';
import { startServices, type Services } from '../../../server/services.js';
import { kdig } from '../../helpers/dns-clients.js';
import { dohQuery, dotQuery } from '../../helpers/encrypted-dns-clients.js';
import { encryptedDnsConfig, firstRunSession } from '../../helpers/in-process-product.js';
import { QTYPE, buildQuery } from '../../helpers/upstream/dns-message.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

interface QueryRow {
  name: string;
  protocol: string;
  device: { name: string | null } | null;
}

describe('encrypted DNS: DoT and DoH with ClientIDs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-encrypted-'));
  let upstream: StubDnsServer;
  let services: Services;
  let dotPort = 0;
  let httpsPort = 0;
  let defaultDnsConfig: Config['dns'];

  const deviceNamed = (name: string) => services.devices.list().filter((device) => device.name === name);

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.7' });
    const config = encryptedDnsConfig(dir, upstream);
    services = await startServices(config, silentLogger);
    defaultDnsConfig = config.dns;
    dotPort = services.encryptedDns.dotAddress!.port;
    httpsPort = services.encryptedDns.httpsAddress!.port;
  }, 60_000);

  afterAll(async () => {
    await services?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a self-signed certificate for the domain and every <clientid>.<domain>, and reports its fingerprint', () => {
    const status = services.encryptedDns.status();
    expect(status.problems).toEqual([]);
    expect(status.certificate?.source).toBe('self-signed');
    expect(status.certificate?.names).toEqual(['example.test', '*.example.test']);
    const onDisk = new X509Certificate(readFileSync(join(dir, 'tls', 'self-signed.crt')));
    expect(status.certificate?.fingerprint256).toBe(onDisk.fingerprint256);
    expect(onDisk.checkHost('kid-tablet.example.test')).toBe('*.example.test');
  });

  it('kdig +tls with SNI kid-tablet.example.test: answered, and the device "kid-tablet" appears', async () => {
    expect(deviceNamed('kid-tablet')).toEqual([]);
    const result = await kdig(dotPort, 'www.example.org', 'A', ['+tls', '+tls-sni=kid-tablet.example.test']);
    expect(result.status, result.raw).toBe('NOERROR');
    expect(result.answers.map((a) => a.data)).toEqual(['192.0.2.7']);
    const devices = deviceNamed('kid-tablet');
    expect(devices).toHaveLength(1);
    expect(devices[0]!.autoName).toBe('kid-tablet');
    expect(devices[0]!.nameSource).toBe('client-id');
    expect(devices[0]!.mac).toBeNull();
  });

  it('kdig +https at /dns-query/kid-tablet is the same device (not a new one for 127.0.0.1)', async () => {
    const before = services.devices.list().length;
    const result = await kdig(httpsPort, 'other.example.org', 'A', [
      '+https=/dns-query/kid-tablet',
      '+tls-sni=example.test',
    ]);
    expect(result.status, result.raw).toBe('NOERROR');
    expect(result.answers.map((a) => a.data)).toEqual(['192.0.2.7']);
    expect(services.devices.list().length).toBe(before);
    const id = deviceNamed('kid-tablet')[0]!.id;
    expect(services.devices.clientIds.deviceOf('kid-tablet')).toBe(id);
    // The query log names the device and the transport for both queries.
    await services.queryLog.flush();
    const request = await firstRunSession(services, dir, 'encrypted dns test');
    const response = await request({ method: 'GET', url: '/api/queries?limit=50' });
    expect(response.statusCode, response.body).toBe(200);
    const rows = (response.json() as { items: QueryRow[] }).items;
    const mine = rows.filter((row) => row.name === 'www.example.org' || row.name === 'other.example.org');
    expect(mine.map((row) => [row.name, row.protocol, row.device?.name]).sort()).toEqual([
      ['other.example.org', 'doh', 'kid-tablet'],
      ['www.example.org', 'dot', 'kid-tablet'],
    ]);
  });

  it("Node's tls client: a ClientID in any case is one device; an SNI without one is known by address", async () => {
    const query = buildQuery('case.example.org', QTYPE.A);
    const answer = await dotQuery(dotPort, 'KID-Tablet.Example.Test', query);
    expect(answer.readUInt16BE(0)).toBe(query.readUInt16BE(0));
    expect(deviceNamed('kid-tablet')).toHaveLength(1);
    const count = services.devices.list().length;
    await dotQuery(dotPort, 'example.test', buildQuery('plain.example.org', QTYPE.A));
    // The domain itself names no ClientID: the device is the one at 127.0.0.1 (new or already known).
    expect(services.devices.list().filter((d) => d.nameSource === 'client-id')).toHaveLength(1);
    expect(services.devices.list().length).toBeLessThanOrEqual(count + 1);
  });

  it('DoT uses the TCP framing: pipelined queries all answered on one connection; a zero-length frame closes it', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: dotPort,
      servername: 'kid-tablet.example.test',
      rejectUnauthorized: false,
    });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const ids = [0x1111, 0x2222, 0x3333];
    const frames = ids.map((id) => {
      const query = buildQuery(`pipelined-${id}.example.org`, QTYPE.A, { id });
      const framed = Buffer.alloc(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      return framed;
    });
    const answered = new Set<number>();
    let buffered = Buffer.alloc(0);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          answered.add(buffered.readUInt16BE(2));
          buffered = buffered.subarray(buffered.readUInt16BE(0) + 2);
        }
        if (answered.size === ids.length) resolve();
      });
      socket.on('error', reject);
      socket.write(Buffer.concat(frames));
    });
    expect([...answered].sort((a, b) => a - b)).toEqual(ids);
    socket.write(Buffer.from([0, 0]));
    await closed;
  });

  it("Node's http2 client: a new ClientID becomes a new device named after it; a bad one is refused", async () => {
    const ok = await dohQuery(httpsPort, '/dns-query/living-room-tv', buildQuery('tv.example.org', QTYPE.A));
    expect(ok.status).toBe(200);
    expect(ok.body.readUInt16BE(2) & 0x000f).toBe(0);
    expect(deviceNamed('living-room-tv')).toHaveLength(1);
    for (const bad of ['under_score', 'a.b', '-dash', 'x'.repeat(64)]) {
      const refused = await dohQuery(httpsPort, `/dns-query/${bad}`, buildQuery('tv.example.org', QTYPE.A));
      expect(refused.status, bad).toBe(400);
      expect(JSON.parse(refused.body.toString()).message).toMatch(/ClientID/);
    }
    expect(services.devices.list().some((d) => d.name?.includes('under'))).toBe(false);
  });

  it('the plain HTTP listener serves /dns-query/<clientid> too, and HTTPS serves the dashboard API', async () => {
    const query = buildQuery('http.example.org', QTYPE.A).toString('base64url');
    const plain = await services.app.inject({ method: 'GET', url: `/dns-query/kid-tablet?dns=${query}` });
    expect(plain.statusCode).toBe(200);
    const health = await fetchOverHttp2(httpsPort, '/api/health');
    expect(health.status).toBe(200);
    // The dashboard answers to the encrypted-DNS domain (its certificate's name), not to other names.
    expect((await fetchOverHttp2(httpsPort, '/api/auth/status', 'example.test')).status).toBe(200);
    expect((await fetchOverHttp2(httpsPort, '/api/auth/status', 'evil.example')).status).toBe(403);
    expect(JSON.parse(health.body.toString()).status).toBeDefined();
  });

  it('away from home (an address outside DNS access control): a known ClientID is answered, an unknown one refused', async () => {
    const config = structuredClone(defaultDnsConfig);
    config.access = { allow: [], deny: ['127.0.0.0/8'] };
    services.dns.reconfigure(config);
    try {
      const devicesBefore = services.devices.list().length;
      const known = await kdig(dotPort, 'away.example.org', 'A', [
        '+tls',
        '+tls-sni=kid-tablet.example.test',
      ]);
      expect(known.status, known.raw).toBe('NOERROR');
      const stranger = await kdig(dotPort, 'away.example.org', 'A', [
        '+tls',
        '+tls-sni=stranger.example.test',
      ]);
      expect(stranger.status, stranger.raw).toBe('REFUSED');
      const plain = await kdig(dotPort, 'away.example.org', 'A', ['+tls', '+tls-sni=example.test']);
      expect(plain.status).toBe('REFUSED');
      const doh = await dohQuery(httpsPort, '/dns-query/kid-tablet', buildQuery('away.example.org', QTYPE.A));
      expect(doh.body.readUInt16BE(2) & 0x000f).toBe(0);
      const dohStranger = await dohQuery(
        httpsPort,
        '/dns-query/stranger',
        buildQuery('away.example.org', QTYPE.A),
      );
      expect(dohStranger.body.readUInt16BE(2) & 0x000f).toBe(5);
      // Nobody outside made a device.
      expect(services.devices.list().length).toBe(devicesBefore);
      expect(services.devices.clientIds.deviceOf('stranger')).toBeNull();
    } finally {
      services.dns.reconfigure(defaultDnsConfig);
    }
  });
});

function fetchOverHttp2(
  port: number,
  path: string,
  authority = `127.0.0.1:${port}`,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    session.on('error', reject);
    const stream = session.request({ ':path': path, ':authority': authority });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks) });
    });
    stream.on('error', reject);
  });
}
