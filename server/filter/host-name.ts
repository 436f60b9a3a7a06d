/**
 * IDN handling for list text. `domainToASCII` is the WHATWG URL host parser, not plain IDNA: it
 * percent-decodes (`a%2eb` → `a.b`), drops tabs and line breaks, lets through characters no host name
 * has (`"`, `` ` ``, `$` …), and its punycode step is quadratic in the input (a 100,000-character line took
 * 8 s, on the thread that answers DNS). So only a short run of host-name characters plus non-ASCII
 * letters is handed to it, and what comes back is checked as a host name again.
 */
import { domainToASCII } from 'node:url';

/** Longest input worth converting: a name is at most 253 characters, and IDNA never shortens much. */
const MAX_IDN_INPUT = 1024;

const ASCII_HOST_NAME = /^(?=.{1,253}$)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$/;

/** Does text[start, end) hold only ASCII host-name characters (any case) besides non-ASCII ones? */
export function onlyHostOrNonAscii(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) continue;
    const host =
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57) ||
      c === 45 ||
      c === 46 ||
      c === 95;
    if (!host) return false;
  }
  return true;
}

/**
 * A name from a list as the matcher keys it: lower case, no trailing dot, IDN as punycode; '' when it is
 * not a host name (a bad character, an empty or over-long label, too long, refused by IDNA).
 */
export function toAsciiHostName(raw: string): string {
  let name = raw.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0 || name.length > MAX_IDN_INPUT) return '';
  if (!onlyHostOrNonAscii(name, 0, name.length)) return '';
  const ascii = /[\u0080-\uffff]/.test(name) ? domainToASCII(name) : name;
  return ASCII_HOST_NAME.test(ascii) ? ascii : '';
}
