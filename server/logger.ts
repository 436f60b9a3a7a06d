/**
 * The process logger: pino, structured JSON to stdout (pretty enough for journald and docker logs).
 * One logger for the whole process; modules take it as a dependency so tests can pass a silent one.
 */
import { type DestinationStream, pino } from 'pino';
import type { LogLevel } from './config/schema.js';

export type Logger = pino.Logger;

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino({ level, base: { app: 'tracksink' } }, destination);
}

export const silentLogger: Logger = pino({ level: 'silent' });
