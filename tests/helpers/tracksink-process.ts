/**
 * Starts the built tracksink (dist/server/main.js) as a real child process on random ports with its own
 * data directory, and reads the addresses it prints at start-up. Used by integration, e2e and resilience
 * tests that need the whole product rather than one module.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface TracksinkOptions {
  /** YAML text for the config file (lists.defaults is turned off unless the text sets it). */
  configYaml?: string;
  env?: Record<string, string>;
  /** Reuse a data directory (e.g. for restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  /** How long to wait for the start-up lines. */
  timeoutMs?: number;
  /** Where to write the config file (default: in the data directory; elsewhere when that is read-only). */
  configFile?: string;
  /** Node options before the entry (e.g. `--import` a module-resolution hook). */
  nodeArgs?: string[];
}

export interface TracksinkProcess {
  proc: ChildProcess;
  dataDir: string;
  dnsPort: number;
  dnsTcpPort: number;
  httpPort: number;
  /** DNS-over-TLS and HTTPS ports (0 when encrypted DNS is off). */
  dotPort: number;
  httpsPort: number;
  baseUrl: string;
  output: () => string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** Removes the temp data dir (when this helper made it). */
  cleanup: () => void;
}

function portAfter(output: string, label: RegExp): number | null {
  const match = label.exec(output);
  return match ? Number(match[1]) : null;
}

export async function startTracksink(options: TracksinkOptions = {}): Promise<TracksinkProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tracksink-data-'));
  const configFile = options.configFile ?? join(dataDir, 'test-config.yaml');
  const yaml = options.configYaml ?? '';
  writeFileSync(configFile, /(^|\n)lists:/.test(yaml) ? yaml : `${yaml}\nlists:\n  defaults: false\n`);
  const args = [...(options.nodeArgs ?? []), join(repoRoot, 'dist', 'server', 'main.js')];
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      TRACKSINK_CONFIG: configFile,
      TRACKSINK_DATA_DIR: dataDir,
      TRACKSINK_DNS_PORT: '0',
      TRACKSINK_HTTP_PORT: '0',
      // Encrypted DNS on free ports too: parallel test processes never meet on 853 and 8443.
      TRACKSINK_DOT_PORT: '0',
      TRACKSINK_HTTPS_PORT: '0',
      TRACKSINK_BIND: '127.0.0.1',
      TRACKSINK_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!/dashboard:\s+http:\/\/\S+:(\d+)/.test(output)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`tracksink did not start (exit ${proc.exitCode}):\n${output}`);
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
  const dnsPort = portAfter(output, /DNS:\s+udp \S+?:(\d+)/) ?? 0;
  const dnsTcpPort = portAfter(output, /DNS:.*tcp \S+?:(\d+)/) ?? dnsPort;
  const httpPort = portAfter(output, /dashboard:\s+http:\/\/\S+:(\d+)/) ?? 0;
  const dotPort = portAfter(output, /encrypted:.*DoT \S+?:(\d+)/) ?? 0;
  const httpsPort = portAfter(output, /encrypted:.*HTTPS https:\/\/\S+?:(\d+)/) ?? 0;
  return {
    proc,
    dataDir,
    dnsPort,
    dnsTcpPort,
    httpPort,
    dotPort,
    httpsPort,
    baseUrl: `http://127.0.0.1:${httpPort}`,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    cleanup: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
