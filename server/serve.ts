/**
 * The composition root (main.ts imports it once the compile cache is on): config → stores → filtering →
 * DNS + HTTP, and a clean shutdown on SIGTERM/SIGINT.
 * Every module receives its dependencies here; nothing else wires modules together.
 */
import { resolve } from 'node:path';
import { readSetupCode } from './api/auth/setup-code.js';
import { isLoopback, lanAddresses, urlFor } from './api/lan-addresses.js';
import { listProblems } from './api/list-problems.js';
import { allKeys, ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { chooseLogFormat, textLogStream } from './log-format.js';
import { createLogger, type Logger } from './logger.js';
import { ensurePrivateDir } from './paths.js';
import { startServices, type Services } from './services.js';

/** The TRACKSINK_* variables that set something (besides where the config file is). */
function environmentInUse(env: NodeJS.ProcessEnv): string[] {
  return allKeys()
    .map(({ spec }) => spec.env)
    .filter((name): name is string => name !== undefined && env[name] !== undefined && env[name] !== '');
}

function printStartup(services: Services, config: Config, configFile: string | null): void {
  const { dns, http, encrypted } = services.summary();
  const portOf = (hostPort: string): number => Number(/:(\d+)$/.exec(hostPort)?.[1] ?? 0);
  const httpPort = portOf(http);
  const dnsPort = portOf(dns.udp);
  // "0.0.0.0" is no address to type anywhere: name the ones other devices reach this machine at.
  const dashboardHosts = lanAddresses(config.http.bind);
  // Never tell anyone to point a router at 127.0.0.1: that would break the whole network's DNS.
  const dnsHosts = lanAddresses(config.dns.bind).filter((host) => !isLoopback(host));
  const dashboard = dashboardHosts.map((host) => urlFor(host, httpPort));
  const local = config.http.bind === '0.0.0.0' || config.http.bind === '::';
  const environment = environmentInUse(process.env);
  const lists = services.lists.list();
  const enabled = lists.filter((list) => list.enabled);
  const loaded = enabled.filter((list) => list.loaded);
  const entries = services.lists.stats().entries;
  const downloading = enabled.filter((list) => !list.loaded && list.lastError === null).length;
  const lines = [
    `tracksink ${services.version} ready`,
    `  dashboard: ${dashboard[0] ?? urlFor('localhost', httpPort)}${
      dashboard.length > 1 ? ` (also ${dashboard.slice(1).join(', ')})` : ''
    }${local ? `; on this machine ${urlFor('localhost', httpPort)}` : ''}`,
    `  DNS:       udp ${dns.udp}, tcp ${dns.tcp}`,
    ...encryptedLines(encrypted),
    dnsHosts.length > 0
      ? `  router:    set your router's DNS server to ${dnsHosts.join(' or ')}${
          dnsPort === 53 ? '' : ` (DNS is on port ${dnsPort}; routers expect 53)`
        }`
      : isLoopback(config.dns.bind)
        ? `  router:    DNS answers only on this machine (dns.bind ${config.dns.bind}); set TRACKSINK_BIND=0.0.0.0 to serve the network`
        : `  router:    no LAN address found on this machine; see Setup help in the dashboard`,
    `  config:    ${configFile ?? 'built-in defaults'}${
      environment.length > 0 ? `, environment ${environment.join(', ')}` : ''
    }`,
    `  data:      ${resolve(config.dataDir)}`,
    `  upstreams: ${services.upstreams.describe().join(', ')}`,
    `  lists:     ${loaded.length} of ${enabled.length} lists in use, ${entries.toLocaleString('en-US')} names${
      downloading > 0 ? `; ${downloading} downloading in the background` : ''
    }`,
  ];
  for (const problem of listProblems(lists)) lines.push(`  WARNING:   ${problem.message}`);
  // First run: the dashboard asks for this code before a password can be set (issue 14).
  const setupCode = readSetupCode(config.dataDir);
  if (setupCode) lines.push(`  setup code: ${setupCode} (the dashboard asks for it on first run)`);
  console.log(lines.join('\n'));
}

/** DoT and HTTPS addresses, the certificate's fingerprint, and why either is off. */
function encryptedLines(encrypted: ReturnType<Services['summary']>['encrypted']): string[] {
  const { status } = encrypted;
  const lines: string[] = [];
  if (encrypted.dot !== null || encrypted.https !== null) {
    const parts = [
      encrypted.dot === null ? null : `DoT ${encrypted.dot}`,
      encrypted.https === null ? null : `HTTPS https://${encrypted.https} (DoH at /dns-query/<clientid>)`,
    ].filter((part) => part !== null);
    lines.push(`  encrypted: ${parts.join(', ')}`);
  }
  if (status.certificate !== null) {
    lines.push(`  certificate: ${status.certificate.source}, SHA-256 ${status.certificate.fingerprint256}`);
  }
  for (const problem of status.problems) lines.push(`  WARNING:   ${problem}`);
  return lines;
}

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`tracksink: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const { config, file } = loaded;
  const format = chooseLogFormat(process.env, process.stdout.isTTY === true);
  const logger: Logger = createLogger(config.log.level, format === 'text' ? textLogStream() : undefined);
  ensurePrivateDir(config.dataDir);

  let services: Services;
  try {
    services = await startServices(config, logger);
  } catch (error) {
    // Start-up errors (port taken, data dir not writable …) carry their own explanation.
    console.error(`tracksink: could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  printStartup(services, config, file);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      console.error('tracksink: shutdown took longer than 10 s, exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    await services.stop();
    console.log('tracksink stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
