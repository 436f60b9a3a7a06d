/**
 * What a new dashboard password must not be: one of the most common passwords (common-passwords.ts),
 * one character repeated, or a plain run like 12345678 / abcdefgh. The length rule (8+) is in the API
 * schema. Returns the household-worded reason, or null when the password is fine.
 */
import { COMMON_PASSWORDS } from './common-passwords.js';

function isRun(text: string): boolean {
  if (text.length < 2) return false;
  const step = text.charCodeAt(1) - text.charCodeAt(0);
  if (Math.abs(step) !== 1) return false;
  for (let i = 2; i < text.length; i++)
    if (text.charCodeAt(i) - text.charCodeAt(i - 1) !== step) return false;
  return true;
}

export function weakPasswordReason(password: string): string | null {
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower) || COMMON_PASSWORDS.has(lower.trim())) {
    return 'this password is one of the most common ones, which are guessed first: choose another';
  }
  if (new Set(lower).size === 1)
    return 'a password of one repeated character is guessed at once: choose another';
  if (isRun(lower))
    return 'a run of consecutive characters (like 12345678) is guessed at once: choose another';
  return null;
}
