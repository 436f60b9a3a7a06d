/**
 * ClientIDs: the name a device gives itself in encrypted DNS, whatever its MAC or address (AdGuard
 * Home's and NextDNS's convention): the first label of the DNS-over-TLS server name
 * (`kid-tablet.dns.example.org`, Android's "Private DNS" host name) or the last path segment of a
 * DNS-over-HTTPS URL (`/dns-query/kid-tablet`). A ClientID is one host-name label (RFC 1123: letters,
 * digits, hyphens inside, at most 63 characters), compared without case and stored lower case.
 */

/** One host-name label, already lower case. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class ClientIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientIdError';
  }
}

/** True for a lower-case host-name label (the hot check: no allocation). */
export function isClientId(text: string): boolean {
  return LABEL.test(text);
}

/**
 * Validates a ClientID typed by a person or sent by a device; returns it lower case, or throws a
 * ClientIdError that says what is wrong with it.
 */
export function parseClientId(raw: unknown): string {
  if (typeof raw !== 'string') throw new ClientIdError('a ClientID must be text');
  const id = raw.trim().toLowerCase();
  if (id === '') throw new ClientIdError('a ClientID cannot be empty');
  if (id.length > 63)
    throw new ClientIdError(`ClientID "${raw}" is ${id.length} characters long (at most 63)`);
  if (id.includes('.')) {
    throw new ClientIdError(`ClientID "${raw}" has a dot: it must be one label such as "kid-tablet"`);
  }
  if (id.startsWith('-') || id.endsWith('-')) {
    throw new ClientIdError(`ClientID "${raw}" cannot begin or end with a hyphen`);
  }
  if (!LABEL.test(id)) {
    throw new ClientIdError(
      `ClientID "${raw}" may only hold letters a–z, digits and hyphens (it becomes part of a host name)`,
    );
  }
  return id;
}

/**
 * A ClientID suggested from a device name ("Kid's Tablet" → "kids-tablet"); null when nothing usable
 * remains (a name in another script: the person types one).
 */
export function suggestClientId(name: string): string | null {
  const id = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return id === '' ? null : id;
}

/**
 * The ClientID in a TLS server name (SNI), or null when it names none:
 * - with a configured domain, `<clientid>.<domain>` (exactly one label before it); the domain itself,
 *   another domain or a deeper name carry none;
 * - without one, the first label of any name of three labels or more (`kid-tablet.example.test`): the
 *   rest is whatever domain the household points at tracksink.
 * An invalid first label is no ClientID (the device is then known by its address, as over plain DNS).
 */
export function clientIdFromServerName(
  serverName: string | null | undefined | false,
  domain: string,
): string | null {
  if (!serverName) return null;
  const name = serverName.toLowerCase().replace(/\.$/, '');
  let label: string;
  if (domain !== '') {
    const suffix = `.${domain.toLowerCase()}`;
    if (!name.endsWith(suffix)) return null;
    label = name.slice(0, -suffix.length);
  } else {
    const parts = name.split('.');
    if (parts.length < 3) return null;
    label = parts[0]!;
  }
  return LABEL.test(label) ? label : null;
}
