/**
 * Runs dnsperf and reads its "Statistics" block. Only the summary matters to the harness; per-query
 * timeout lines are skipped.
 */
import { spawn } from 'node:child_process';

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  /** Lost / sent, 0..1. */
  lossRatio: number;
  /** Response code → count. */
  rcodes: Record<string, number>;
  runSeconds: number;
  qps: number;
  avgLatencyMs: number;
  minLatencyMs: number;
  maxLatencyMs: number;
}

export class DnsperfParseError extends Error {
  constructor(what: string, output: string) {
    const tail = output.trim().split('\n').slice(-8).join('\n    ');
    super(`dnsperf output: ${what}; last lines were:\n    ${tail}`);
    this.name = 'DnsperfParseError';
  }
}

function count(output: string, label: string): number {
  const match = new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(output);
  if (!match) throw new DnsperfParseError(`no "${label}" line`, output);
  return Number(match[1]);
}

export function parseDnsperfOutput(output: string): DnsperfResult {
  if (!/^Statistics:/m.test(output)) throw new DnsperfParseError('no "Statistics:" block', output);
  const sent = count(output, 'Queries sent');
  const completed = count(output, 'Queries completed');
  const lost = count(output, 'Queries lost');
  const rcodes: Record<string, number> = {};
  const rcodeLine = /^\s*Response codes:(.*)$/m.exec(output)?.[1] ?? '';
  for (const match of rcodeLine.matchAll(/([A-Z]+)\s+(\d+)/g)) rcodes[match[1] as string] = Number(match[2]);
  const run = /^\s*Run time \(s\):\s+([\d.]+)/m.exec(output);
  const qps = /^\s*Queries per second:\s+([\d.]+)/m.exec(output);
  const latency = /^\s*Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/m.exec(output);
  if (!run || !qps || !latency) throw new DnsperfParseError('no run time, rate or latency line', output);
  return {
    sent,
    completed,
    lost,
    lossRatio: sent > 0 ? lost / sent : 0,
    rcodes,
    runSeconds: Number(run[1]),
    qps: Number(qps[1]),
    avgLatencyMs: Number(latency[1]) * 1000,
    minLatencyMs: Number(latency[2]) * 1000,
    maxLatencyMs: Number(latency[3]) * 1000,
  };
}

export interface DnsperfOptions {
  port: number;
  file: string;
  seconds: number;
  /** Fixed send rate (-Q); omitted = as fast as the outstanding window allows. */
  rate?: number;
  /** Maximum queries in flight (-q). */
  outstanding?: number;
  /** Run through the file at most this many times (-n). */
  maxRuns?: number;
  /** Seconds before a query counts as lost (-t). */
  timeoutSeconds?: number;
  server?: string;
  /** Client sockets (-c, default 4): each its own source port (DNS worker threads are chosen by it). */
  clients?: number;
  /** DNS over UDP (default) or TCP (-m tcp: each client one connection, queries pipelined on it). */
  transport?: 'udp' | 'tcp';
}

export function dnsperfArgs(options: DnsperfOptions): string[] {
  const args = ['-s', options.server ?? '127.0.0.1', '-p', String(options.port), '-d', options.file];
  args.push('-l', String(options.seconds), '-t', String(options.timeoutSeconds ?? 2));
  args.push('-q', String(options.outstanding ?? 2000), '-c', String(options.clients ?? 4));
  if (options.rate !== undefined) args.push('-Q', String(Math.round(options.rate)));
  if (options.maxRuns !== undefined) args.push('-n', String(options.maxRuns));
  if (options.transport === 'tcp') args.push('-m', 'tcp');
  return args;
}

/** Runs dnsperf to completion; rejects with the output's tail if it fails or prints no statistics. */
export function runDnsperf(options: DnsperfOptions): Promise<DnsperfResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('dnsperf', dnsperfArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // Timeout lines can be numerous under overload: keep only the summary end of the output.
    const keep = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > 200_000) output = output.slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const limit = setTimeout(
      () => child.kill('SIGKILL'),
      (options.seconds + (options.timeoutSeconds ?? 2) + 15) * 1000,
    );
    child.on('error', (error) => {
      clearTimeout(limit);
      reject(
        new Error(`dnsperf could not start (${error.message}); install it with apt-get install dnsperf`),
      );
    });
    child.on('close', (code) => {
      clearTimeout(limit);
      try {
        const result = parseDnsperfOutput(output);
        resolvePromise(result);
      } catch (error) {
        reject(code === 0 ? error : new Error(`dnsperf exited with ${code}: ${(error as Error).message}`));
      }
    });
  });
}
