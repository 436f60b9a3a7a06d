/**
 * Checks a PEM certificate chain and its private key before anything serves them: readable, in force
 * now, and the key belongs to the certificate. Every refusal names the file and what is wrong, so the
 * start-up message tells the household what to fix (plain DNS keeps answering meanwhile).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';

export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

/** What the Setup page and the start-up lines show about the certificate in use. */
export interface CertificateInfo {
  source: 'configured' | 'self-signed' | 'acme';
  /** SHA-256 of the leaf certificate, "AB:CD:…" (what a person compares on a phone). */
  fingerprint256: string;
  subject: string;
  /** The DNS names and addresses it is valid for. */
  names: string[];
  validFrom: string;
  validTo: string;
}

export interface CheckedCertificate {
  cert: string;
  key: string;
  info: CertificateInfo;
  /** ms since the epoch. */
  expiresAt: number;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The subjectAltName entries, without their "DNS:" / "IP Address:" prefixes. */
export function certificateNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter((name) => name !== '');
}

export function checkCertificate(
  certPem: string,
  keyPem: string,
  source: CertificateInfo['source'],
  where: { certFile: string; keyFile: string },
  now = Date.now(),
): CheckedCertificate {
  const blocks = certPem.match(PEM_CERT);
  if (blocks === null) {
    throw new CertificateError(`${where.certFile}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]);
  } catch (error) {
    throw new CertificateError(
      `${where.certFile}: the certificate cannot be read (${(error as Error).message})`,
    );
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new CertificateError(
      `${where.keyFile}: the private key cannot be read (${(error as Error).message}); it must be an unencrypted PEM key`,
    );
  }
  const validFrom = Date.parse(leaf.validFrom);
  const validTo = Date.parse(leaf.validTo);
  if (validTo <= now) {
    throw new CertificateError(
      `${where.certFile}: the certificate for ${leaf.subject.replace(/\n/g, ', ')} expired on ${new Date(validTo).toISOString()}; renew it or remove tls.certFile to use a self-signed one`,
    );
  }
  if (validFrom > now) {
    throw new CertificateError(
      `${where.certFile}: the certificate is not valid before ${new Date(validFrom).toISOString()} (is this machine's clock right?)`,
    );
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateError(
      `${where.keyFile} is not the private key of the certificate in ${where.certFile} (they do not match)`,
    );
  }
  return {
    cert: certPem,
    key: keyPem,
    expiresAt: validTo,
    info: {
      source,
      fingerprint256: leaf.fingerprint256,
      subject: leaf.subject.replace(/\n/g, ', '),
      names: certificateNames(leaf),
      validFrom: new Date(validFrom).toISOString(),
      validTo: new Date(validTo).toISOString(),
    },
  };
}
