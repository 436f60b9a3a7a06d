/**
 * Keeps an ACME certificate in force: checks shortly after start and every 12 hours whether a new one
 * is needed (none yet, 30 days before expiry, ClientIDs added or removed: acme.ts), orders it in the
 * background and hands it to the listeners. A failure is logged and kept as the last problem; the
 * certificate in use keeps serving, and the next check tries again.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import {
  type AcmeChallenges,
  type AcmeClient,
  acmeNames,
  needsOrder,
  obtainAcmeCertificate,
} from './acme.js';
import type { CheckedCertificate } from './certificate-check.js';

const CHECK_EVERY_MS = 12 * 3_600_000;
const FIRST_CHECK_MS = 5_000;

export interface AcmeRenewal {
  /** Runs one check now (tests; the timer calls it too). */
  check(): Promise<void>;
  lastProblem(): string | null;
  stop(): void;
}

export function startAcmeRenewal(opts: {
  config: Pick<Config, 'tls' | 'dataDir'>;
  challenges: AcmeChallenges;
  clientIds: () => string[];
  current: () => CheckedCertificate | null;
  onCertificate: (certificate: CheckedCertificate) => void;
  logger: Logger;
  client?: (accountKey: Buffer) => AcmeClient;
  firstCheckMs?: number;
}): AcmeRenewal {
  const { tls } = opts.config;
  let problem: string | null = null;
  let running: Promise<void> | null = null;

  const checkOnce = async (): Promise<void> => {
    const names = acmeNames(tls.serverName, opts.clientIds());
    if (!needsOrder(opts.current(), names)) return;
    opts.logger.info({ names }, 'ordering a certificate from the ACME CA');
    try {
      const certificate = await obtainAcmeCertificate({
        directoryUrl: tls.acme.directoryUrl,
        email: tls.acme.email,
        names,
        dataDir: opts.config.dataDir,
        challenges: opts.challenges,
        client: opts.client,
      });
      problem = null;
      opts.onCertificate(certificate);
      opts.logger.info({ names, validTo: certificate.info.validTo }, 'ACME certificate in use');
    } catch (error) {
      problem = `ACME: no certificate for ${names.join(', ')}: ${(error as Error).message}`;
      opts.logger.error({ err: error }, problem);
    }
  };
  const check = (): Promise<void> => {
    running ??= checkOnce().finally(() => {
      running = null;
    });
    return running;
  };

  const first = setTimeout(() => void check(), opts.firstCheckMs ?? FIRST_CHECK_MS);
  const every = setInterval(() => void check(), CHECK_EVERY_MS);
  first.unref();
  every.unref();
  return {
    check,
    lastProblem: () => problem,
    stop: () => {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
