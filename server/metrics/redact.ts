/**
 * Upstream URLs as /metrics shows them (an open route, like most exporters): scheme and host only. A
 * DoH path or query can carry a private profile id (NextDNS, ControlD, AdGuard DNS personal servers:
 * https://dns.nextdns.io/abc123) and a URL can carry credentials; both are replaced, and so is a profile
 * id in a DoT host name (redactHost). The standard RFC 8484 path /dns-query says nothing private and stays
 * readable.
 */
const STANDARD_PATHS = new Set(['', '/', '/dns-query']);

/**
 * DoT has no path, so personal resolvers put the profile id in the host name instead
 * (abc123.dns.nextdns.io, <id>.dns.controld.com, <id>.d.adguard-dns.com): a first label of 6+ letters
 * and digits, with a digit in it, in front of at least three more labels is taken for such an id.
 */
function redactHost(host: string): string {
  if (host.startsWith('[') || /^[\d.]+(:\d+)?$/.test(host)) return host;
  const labels = host.split('.');
  const first = labels[0] ?? '';
  return labels.length >= 4 && /^[a-z0-9-]{6,}$/i.test(first) && /\d/.test(first)
    ? ['…', ...labels.slice(1)].join('.')
    : host;
}

export function redactUpstreamUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL (a bare address such as "1.1.1.1" or "1.1.1.1:53"): keep what precedes any path.
    return url.split(/[/?#@]/)[0] || 'upstream';
  }
  const path = STANDARD_PATHS.has(parsed.pathname) ? parsed.pathname : '/…';
  const query = parsed.search ? '?…' : '';
  return `${parsed.protocol}//${redactHost(parsed.host)}${path}${query}`;
}

/**
 * One label per upstream, in order: redacted, and numbered when two upstreams redact to the same text
 * (two profiles on one DoH server), so every series stays distinct.
 */
export function upstreamLabelValues(urls: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return urls.map((url) => {
    const label = redactUpstreamUrl(url);
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    return count === 1 ? label : `${label} #${count}`;
  });
}
