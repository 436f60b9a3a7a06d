/**
 * Starts and stops the processes a benchmark run needs: dnsmasq as stub upstream and as peer, and
 * tracksink from its build, started as its `npm start` runs it (startCommand). Each is ready only when it answers (DNS) or reports healthy (HTTP); the
 * time until then is its start (and list load) time. Every child is killed when the harness exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { probe } from './dns-probe.js';

export type ServerKind = 'tracksink' | 'dnsmasq' | 'echo';

export interface ServerProcess {
  label: string;
  kind: ServerKind;
  pid: number;
  port: number;
  httpPort: number | null;
  /** Milliseconds from spawn until the server answered (or reported healthy). */
  readyMs: number;
  /** The last lines the process printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

interface Spawned {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited(): string | null;
  stop(): Promise<void>;
}

function spawnTracked(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
  cwd?: string,
  pinToCpu?: number,
  realtime?: number,
): Spawned {
  installCleanup();
  // chrt and taskset exec the command: the pid stays the server's. --reset-on-fork: only the thread that
  // starts gets the real-time priority; threads it creates (a log writer, GC helpers) are normal ones.
  if (realtime !== undefined) {
    args = ['--fifo', '--reset-on-fork', String(realtime), command, ...args];
    command = 'chrt';
  }
  if (pinToCpu !== undefined) {
    args = ['-c', String(pinToCpu), command, ...args];
    command = 'taskset';
  }
  const child = spawn(command, args, { env: env ?? process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let tail = '';
  let exit: string | null = null;
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => {
    exit = `could not start ${command}: ${error.message}`;
  });
  child.on('exit', (code, signal) => {
    exit = `exited with ${signal ?? `code ${code}`}`;
    children.delete(child);
  });
  if (child.pid === undefined) throw new Error(`could not start ${command} (is it installed?)`);
  const pid = child.pid;
  return {
    child,
    pid,
    output: () => tail.trim(),
    exited: () => exit,
    async stop(): Promise<void> {
      if (exit !== null) return;
      const gone = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await gone;
      clearTimeout(timer);
    },
  };
}

function serverProcess(
  spawned: Spawned,
  label: string,
  kind: ServerKind,
  port: number,
  httpPort: number | null,
  readyMs: number,
): ServerProcess {
  return {
    label,
    kind,
    pid: spawned.pid,
    port,
    httpPort,
    readyMs,
    output: spawned.output,
    stop: spawned.stop,
  };
}

/** Polls until check() is true, failing early when the process exits, or after timeoutMs. */
async function waitReady(
  what: string,
  spawned: Spawned,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exit = spawned.exited();
    if (exit !== null) throw new Error(`${what} ${exit} before it was ready:\n${spawned.output()}`);
    if (await check()) return;
    await sleep(intervalMs);
  }
  await spawned.stop();
  throw new Error(`${what} was not ready after ${timeoutMs / 1000} s:\n${spawned.output()}`);
}

export interface DnsmasqOptions {
  label: string;
  port: number;
  /** Forward misses to this loopback port; omitted = the stub: answer every name locally. */
  upstreamPort?: number;
  hostsFile?: string;
  cacheSize: number;
  /** Name to ask until the answer matches `expect` (an address or 'any'). */
  readyName: string;
  expect: string;
  timeoutMs?: number;
  /** Run on this one CPU only (taskset). */
  pinToCpu?: number;
  /**
   * Run the main thread at this SCHED_FIFO priority (chrt, needs root or CAP_SYS_NICE): other processes on
   * a shared machine do not delay it; its own other threads stay normal (bench:small --rt).
   */
  realtime?: number;
}

/** Arguments shared by both dnsmasq roles: foreground, no system config, loopback only. */
export function dnsmasqArgs(
  options: Omit<DnsmasqOptions, 'label' | 'readyName' | 'expect' | 'timeoutMs' | 'pinToCpu' | 'realtime'>,
): string[] {
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    `--port=${options.port}`,
    '--pid-file=',
    `--user=${process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'nobody')}`,
    `--cache-size=${options.cacheSize}`,
    // The peer gives block answers tracksink's TTL (dns.blocking.ttl default 60); the stub answers
    // with a long TTL so caches in front of it can hold its answers.
    `--local-ttl=${options.upstreamPort === undefined ? 3600 : 60}`,
    // dnsmasq's default of 150 forwarded queries in flight would drop misses at 40k q/s.
    '--dns-forward-max=5000',
  ];
  if (options.upstreamPort === undefined) {
    // The stub upstream: every name exists (A and AAAA), answered from memory.
    args.push('--address=/#/198.18.0.10', '--address=/#/2001:db8::10');
  } else {
    args.push(`--server=127.0.0.1#${options.upstreamPort}`);
  }
  if (options.hostsFile) args.push(`--addn-hosts=${options.hostsFile}`);
  return args;
}

export async function startDnsmasq(options: DnsmasqOptions): Promise<ServerProcess> {
  const started = performance.now();
  const spawned = spawnTracked(
    'dnsmasq',
    dnsmasqArgs(options),
    undefined,
    undefined,
    options.pinToCpu,
    options.realtime,
  );
  await waitReady(
    `dnsmasq (${options.label})`,
    spawned,
    async () => {
      const answer = await probe(options.port, options.readyName, 200);
      return answer !== null && (options.expect === 'any' || answer.address === options.expect);
    },
    options.timeoutMs ?? 60_000,
    10,
  );
  return serverProcess(spawned, options.label, 'dnsmasq', options.port, null, performance.now() - started);
}

export interface TracksinkOptions {
  label: string;
  repoRoot: string;
  port: number;
  httpPort: number;
  dataDir: string;
  configFile: string;
  upstreamPort: number;
  blocklist: string | null;
  readyName: string;
  expect: string;
  timeoutMs?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** The server's entry (default repoRoot/dist/server/main.js), e.g. another checkout's build. */
  main?: string;
  /** Run on this one CPU only (taskset). */
  pinToCpu?: number;
  /**
   * Run the main thread at this SCHED_FIFO priority (chrt, needs root or CAP_SYS_NICE): other processes on
   * a shared machine do not delay it; its own other threads stay normal (bench:small --rt).
   */
  realtime?: number;
  /** Extra environment (e.g. MALLOC_ARENA_MAX), over this process's and the start command's. */
  env?: Record<string, string>;
  /** Run `node <entry>` without the start command's flags and environment (default: as `npm start` runs). */
  plain?: boolean;
}

/**
 * What `npm start` runs in a checkout (package.json "start"): its leading NAME=value words (environment),
 * node's flags and the entry file. The harness starts the server the same way, so a flag or allocator setting
 * shipped in the start command (also the Dockerfile's CMD and the systemd unit) is what it measures.
 */
export interface StartCommand {
  env: Record<string, string>;
  nodeFlags: string[];
  entry: string;
}

export function startCommand(repoRoot: string): StartCommand {
  const fallback: StartCommand = { env: {}, nodeFlags: [], entry: 'dist/server/main.js' };
  let script: string | undefined;
  try {
    script = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
    ).scripts?.start;
  } catch {
    return fallback;
  }
  return script === undefined ? fallback : parseStartScript(script);
}

export function parseStartScript(script: string): StartCommand {
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i] as string); i++) {
    const word = words[i] as string;
    env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
  }
  if (words[i] !== 'node')
    throw new Error(`package.json start "${script}": expected node after the environment`);
  const nodeFlags: string[] = [];
  for (i++; i < words.length && (words[i] as string).startsWith('-'); i++) nodeFlags.push(words[i] as string);
  const entry = words[i];
  if (entry === undefined || i !== words.length - 1)
    throw new Error(`package.json start "${script}": expected one entry file after node's flags`);
  return { env, nodeFlags, entry };
}

export function tracksinkEnv(options: TracksinkOptions, start?: StartCommand): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...start?.env,
    ...options.env,
    TRACKSINK_CONFIG: options.configFile,
    TRACKSINK_DNS_PORT: String(options.port),
    TRACKSINK_HTTP_PORT: String(options.httpPort),
    TRACKSINK_BIND: '127.0.0.1',
    TRACKSINK_DATA_DIR: options.dataDir,
    TRACKSINK_UPSTREAMS: `udp://127.0.0.1:${options.upstreamPort}`,
    TRACKSINK_BLOCKLISTS: options.blocklist ?? '',
    TRACKSINK_LOG_LEVEL: 'warn',
    TRACKSINK_PASSWORD: 'bench-password',
  };
}

async function healthy(httpPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/api/health`, {
      signal: AbortSignal.timeout(500),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function startTracksink(options: TracksinkOptions): Promise<ServerProcess> {
  const started = performance.now();
  const shipped = startCommand(options.repoRoot);
  const start = options.plain ? { env: {}, nodeFlags: [], entry: shipped.entry } : shipped;
  const spawned = spawnTracked(
    process.execPath,
    [...start.nodeFlags, ...(options.nodeFlags ?? []), options.main ?? start.entry],
    tracksinkEnv(options, start),
    options.repoRoot,
    options.pinToCpu,
    options.realtime,
  );
  await waitReady(
    `tracksink (${options.label})`,
    spawned,
    () => healthy(options.httpPort),
    options.timeoutMs ?? 300_000,
  );
  const readyMs = performance.now() - started;
  const answer = await probe(options.port, options.readyName, 1000);
  if (answer === null || (options.expect !== 'any' && answer.address !== options.expect)) {
    await spawned.stop();
    throw new Error(
      `tracksink (${options.label}) is healthy but answered ${options.readyName} with ` +
        `${answer ? `rcode ${answer.rcode}, address ${answer.address}` : 'nothing'} (expected ${options.expect}):\n${spawned.output()}`,
    );
  }
  return serverProcess(spawned, options.label, 'tracksink', options.port, options.httpPort, readyMs);
}

/** Starts the Node.js UDP echo (bench/lib/udp-echo.mjs): the floor of a DNS server on Node's dgram. */
export async function startUdpEcho(options: { repoRoot: string; port: number }): Promise<ServerProcess> {
  const started = performance.now();
  const spawned = spawnTracked(process.execPath, [
    `${options.repoRoot}/bench/lib/udp-echo.mjs`,
    String(options.port),
  ]);
  await waitReady(
    'the UDP echo',
    spawned,
    async () => (await probe(options.port, 'ready.example', 300).catch(() => null)) !== null,
    10_000,
  );
  return serverProcess(spawned, 'node echo', 'echo', options.port, null, performance.now() - started);
}
