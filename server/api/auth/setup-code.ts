/**
 * The first-run setup code: proof that whoever sets the dashboard password can see tracksink's output
 * (console, log, or the data directory), as Home Assistant and Jupyter do. Without it a fresh instance
 * belongs to whoever reaches it first, including a web page using DNS rebinding.
 *
 * The code lives in `<dataDir>/setup-code.txt` (mode 0600) while no password is set, so a restart keeps
 * the code the owner may already have copied; it is deleted once the password is set.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SETUP_CODE_FILE = 'setup-code.txt';
/** No 0/O, 1/I/L: easy to read off a terminal and type (31 symbols, 8 of them: about 40 bits). */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const LENGTH = 8;

export function setupCodePath(dataDir: string): string {
  return join(dataDir, SETUP_CODE_FILE);
}

/** Upper case without spaces or dashes: what the owner typed compares equal to what was printed. */
export function normalizeSetupCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

function newCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

function wellFormed(code: string): boolean {
  const plain = normalizeSetupCode(code);
  return plain.length === LENGTH && [...plain].every((char) => ALPHABET.includes(char));
}

/** The current setup code, or null when there is none (a password is set, or tracksink never ran here). */
export function readSetupCode(dataDir: string): string | null {
  const path = setupCodePath(dataDir);
  if (!existsSync(path)) return null;
  const code = readFileSync(path, 'utf8').trim();
  return wellFormed(code) ? code : null;
}

/** The code kept from an earlier start, or a new one written with mode 0600. */
export function ensureSetupCode(dataDir: string): string {
  const kept = readSetupCode(dataDir);
  if (kept) return kept;
  const code = newCode();
  const path = setupCodePath(dataDir);
  rmSync(path, { force: true });
  writeFileSync(path, `${code}\n`, { mode: 0o600, flag: 'wx' });
  return code;
}

export function removeSetupCode(dataDir: string): void {
  rmSync(setupCodePath(dataDir), { force: true });
}

export function sameSetupCode(given: string, expected: string): boolean {
  const a = Buffer.from(normalizeSetupCode(given));
  const b = Buffer.from(normalizeSetupCode(expected));
  return a.length === b.length && timingSafeEqual(a, b);
}
