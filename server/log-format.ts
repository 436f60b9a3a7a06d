/**
 * How the process log reads. JSON lines (pino's own) where a machine collects them (docker logs,
 * journald, a pipe); short readable lines when a person watches the terminal, so the start banner is not
 * buried in JSON. TRACKSINK_LOG_FORMAT=json|text chooses explicitly.
 */
import type { DestinationStream } from 'pino';

export type LogFormat = 'json' | 'text';

export function chooseLogFormat(env: NodeJS.ProcessEnv, isTty: boolean): LogFormat {
  const chosen = env['TRACKSINK_LOG_FORMAT']?.trim().toLowerCase();
  if (chosen === 'json' || chosen === 'text') return chosen;
  return isTty ? 'text' : 'json';
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
/** Fields every line has, or that say nothing to a person reading the terminal. */
const SKIP = new Set(['level', 'time', 'app', 'msg', 'pid', 'hostname', 'reqId']);

/** One pino JSON line as `12:04:05 warn  message (key=value, …)`. */
export function formatLogLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = new Date(typeof entry['time'] === 'number' ? entry['time'] : Date.now());
  const clock = time.toTimeString().slice(0, 8);
  const level = (LEVELS[entry['level'] as number] ?? 'log').padEnd(5);
  const details = Object.entries(entry)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => {
      if (key === 'err' && value && typeof value === 'object' && 'message' in value)
        return String(value.message);
      return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    });
  const msg = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  return `${clock} ${level} ${msg}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

/** Fastify's own "Server listening at …" lines: the start banner names the addresses people need. */
const REDUNDANT = /"msg":"Server listening at /;

/** A pino destination that writes readable lines to `out` (stdout by default). */
export function textLogStream(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  return {
    write: (line: string) => {
      if (!REDUNDANT.test(line)) out.write(`${formatLogLine(line)}\n`);
    },
  };
}
