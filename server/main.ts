/**
 * The composition root: config → stores → filtering → DNS + HTTP, and a clean shutdown on SIGTERM/SIGINT.
 * Every module receives its dependencies here; nothing else wires modules together.
 */
import { resolve } from 'node:path';
import { readSetupCode } from './api/auth/setup-code.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { createLogger, type Logger } from './logger.js';
import { ensurePrivateDir } from './paths.js';
import { startServices, type Services } from './services.js';

function printStartup(services: Services, config: Config, configFile: string | null): void {
  const { dns, http, lists } = services.summary();
  const lines = [
    `tracksink ${services.version} ready`,
    `  config:    ${configFile ?? 'built-in defaults'}`,
    `  data:      ${resolve(config.dataDir)}`,
    `  DNS:       udp ${dns.udp}, tcp ${dns.tcp}`,
    `  dashboard: http://${http}/`,
    `  upstreams: ${services.upstreams.describe().join(', ')}`,
    `  lists:     ${lists.lists} lists, ${lists.entries.toLocaleString('en-US')} entries`,
  ];
  // First run: the dashboard asks for this code before a password can be set (issue 14).
  const setupCode = readSetupCode(config.dataDir);
  if (setupCode) lines.push(`  setup code: ${setupCode} (the dashboard asks for it on first run)`);
  console.log(lines.join('\n'));
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
  const logger: Logger = createLogger(config.log.level);
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
