/**
 * A self-signed certificate made on first start and kept in the data directory (`tls/self-signed.crt`,
 * `tls/self-signed.key`, the key readable by tracksink only). It names the configured domain and every
 * `<clientid>.<domain>` (a wildcard), or this machine's name and localhost when no domain is set; it is
 * made again when those names change or less than 30 days are left. ECDSA P-256, 825 days: the longest
 * Apple devices accept for a TLS server certificate.
 *
 * @peculiar/x509 is imported only when a certificate is made (the first start, a renewal): on every other start
 * the stored pair is checked with node:crypto, and the library's ~280 kB of source and its objects stay out of
 * the process (bench/GAP.md, "memory pass").
 */
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type CheckedCertificate, checkCertificate } from './certificate-check.js';

const VALID_DAYS = 825;
const RENEW_BEFORE_MS = 30 * 86_400_000;

/** The names a self-signed certificate should carry for this configuration. */
export function selfSignedNames(serverName: string, host = hostname()): string[] {
  if (serverName !== '') return [serverName, `*.${serverName}`];
  const short = host.toLowerCase().split('.')[0] ?? 'tracksink';
  return [...new Set([short, `${short}.local`, 'localhost'])];
}

export async function generateSelfSigned(
  names: string[],
  now = Date.now(),
): Promise<{ cert: string; key: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const x509 = await import('@peculiar/x509');
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(12)))
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=${names[0]}, O=tracksink (self-signed)`,
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + VALID_DAYS * 86_400_000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
      ],
    },
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim()}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key };
}

/** The stored self-signed certificate, or a new one when missing, unreadable, expiring or for other names. */
export async function ensureSelfSigned(
  dataDir: string,
  names: string[],
  now = Date.now(),
): Promise<CheckedCertificate & { created: boolean }> {
  const dir = join(dataDir, 'tls');
  const where = { certFile: join(dir, 'self-signed.crt'), keyFile: join(dir, 'self-signed.key') };
  if (existsSync(where.certFile) && existsSync(where.keyFile)) {
    try {
      const stored = checkCertificate(
        readFileSync(where.certFile, 'utf8'),
        readFileSync(where.keyFile, 'utf8'),
        'self-signed',
        where,
        now,
      );
      const sameNames = [...stored.info.names].sort().join() === [...names].sort().join();
      if (sameNames && stored.expiresAt - now > RENEW_BEFORE_MS) return { ...stored, created: false };
    } catch {
      // Made again below.
    }
  }
  const made = await generateSelfSigned(names, now);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(where.keyFile, made.key, { mode: 0o600 });
  writeFileSync(where.certFile, made.cert, { mode: 0o644 });
  return { ...checkCertificate(made.cert, made.key, 'self-signed', where, now), created: true };
}
