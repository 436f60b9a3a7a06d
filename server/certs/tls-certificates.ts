/**
 * Which certificate encrypted DNS and HTTPS serve, in order: the configured one (tls.certFile and
 * tls.keyFile, checked: an expired or mismatched pair is refused with a message naming the file), the
 * last one obtained from ACME (tls.acme.email set; acme.ts renews it in the background), or a
 * self-signed one kept in the data directory. A refusal is a CertificateError: the caller turns encrypted
 * DNS off and plain DNS keeps answering.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { type CheckedCertificate, CertificateError, checkCertificate } from './certificate-check.js';
import { ensureSelfSigned, selfSignedNames } from './self-signed.js';

export { CertificateError, type CertificateInfo, type CheckedCertificate } from './certificate-check.js';

export function acmePaths(dataDir: string): { certFile: string; keyFile: string; accountKeyFile: string } {
  const dir = join(dataDir, 'tls');
  return {
    certFile: join(dir, 'acme.crt'),
    keyFile: join(dir, 'acme.key'),
    accountKeyFile: join(dir, 'acme-account.key'),
  };
}

function readPair(where: { certFile: string; keyFile: string }): { cert: string; key: string } {
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CertificateError(
        `${file}: cannot read the ${what} (${code === 'ENOENT' ? 'no such file' : (error as Error).message})`,
      );
    }
  };
  return { cert: read(where.certFile, 'certificate'), key: read(where.keyFile, 'private key') };
}

export async function loadTlsCertificate(
  config: Pick<Config, 'tls' | 'dataDir'>,
  now = Date.now(),
): Promise<CheckedCertificate> {
  const { tls } = config;
  if (tls.certFile !== '' || tls.keyFile !== '') {
    if (tls.certFile === '' || tls.keyFile === '') {
      throw new CertificateError(
        `tls.certFile and tls.keyFile go together: ${tls.certFile === '' ? 'tls.certFile' : 'tls.keyFile'} is empty`,
      );
    }
    const where = { certFile: tls.certFile, keyFile: tls.keyFile };
    const { cert, key } = readPair(where);
    return checkCertificate(cert, key, 'configured', where, now);
  }
  if (tls.acme.email !== '') {
    const where = acmePaths(config.dataDir);
    if (existsSync(where.certFile) && existsSync(where.keyFile)) {
      try {
        const { cert, key } = readPair(where);
        return checkCertificate(cert, key, 'acme', where, now);
      } catch {
        // Expired or damaged: serve a self-signed one until acme.ts has a new one.
      }
    }
  }
  return ensureSelfSigned(config.dataDir, selfSignedNames(tls.serverName), now);
}
