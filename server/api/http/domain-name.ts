/** Checks and normalises a domain name typed by a person: lower case, no trailing dot, IDN → punycode. */
import { domainToASCII } from 'node:url';

/** Returns the normalised name, or a sentence saying what is wrong with it. */
export function normaliseDomain(input: string): { name: string } | { problem: string } {
  let text = input.trim().toLowerCase();
  if (text.startsWith('*.')) text = text.slice(2);
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text === '') return { problem: 'is empty' };
  const ascii = /^[\x21-\x7e]+$/.test(text) ? text : domainToASCII(text);
  if (!ascii) return { problem: `"${input}" is not a valid domain name` };
  if (ascii.length > 253) return { problem: 'is longer than 253 characters' };
  for (const label of ascii.split('.')) {
    if (label.length === 0) return { problem: `"${input}" has an empty label` };
    if (label.length > 63) return { problem: `"${input}" has a label longer than 63 characters` };
    if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(label)) {
      return { problem: `"${input}" is not a valid domain name (label "${label}")` };
    }
  }
  return { name: ascii };
}
