/**
 * /api/health and encrypted DNS: a certificate (a real self-signed one, made as tracksink makes it) that
 * expires while tracksink runs turns the status "degraded" with a sentence saying so; before that the
 * status is "ok". (A port in use is tested with the whole product in tests/integration/people.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSelfSigned } from '../../../server/certs/self-signed.js';
import type { CheckedCertificate } from '../../../server/certs/tls-certificates.js';
import { startHarness, type Harness } from './harness.js';

describe('health names encrypted-DNS certificate problems', () => {
  let harness: Harness;
  let certificate: CheckedCertificate;
  let clock = Date.now();

  beforeAll(async () => {
    harness = await startHarness({ now: () => clock });
    certificate = await ensureSelfSigned(harness.dir, ['example.test', '*.example.test']);
    harness.deps.encryptedDns = {
      status: () => ({
        enabled: true,
        serverName: 'example.test',
        dotPort: 853,
        httpsPort: 8443,
        certificate: certificate.info,
        selfSignedPem: null,
        problems: [],
      }),
    };
  });
  afterAll(async () => harness?.close());

  const health = async () =>
    (await harness.app.inject({ method: 'GET', url: '/api/health' })).json() as {
      status: string;
      problems: Array<{ kind: string; message: string }>;
    };

  it('is ok while the certificate is valid', async () => {
    expect(await health()).toMatchObject({ status: 'ok', problems: [] });
  });

  it('is degraded, saying so, once the certificate has expired', async () => {
    clock = certificate.expiresAt + 60_000;
    const body = await health();
    expect(body.status).toBe('degraded');
    expect(body.problems).toHaveLength(1);
    expect(body.problems[0]!.kind).toBe('encrypted-dns');
    expect(body.problems[0]!.message).toMatch(
      /certificate expired on \d{4}-\d\d-\d\dT.*Private DNS cannot connect/,
    );
  });
});
