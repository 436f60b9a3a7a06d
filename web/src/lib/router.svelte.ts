// Hash routing (#/devices/3): works behind any static server and with the SPA fallback, needs no
// server configuration, and keeps deep links bookmarkable.

export interface Route {
  /** First path segment: 'overview', 'devices', … */
  page: string;
  /** The remaining segments, decoded. */
  params: string[];
  /** Query part of the hash (#/queries?device=3). */
  query: URLSearchParams;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  const segments = pathPart
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return {
    page: segments[0] ?? 'overview',
    params: segments.slice(1),
    query: new URLSearchParams(queryPart),
  };
}

export const route = $state<{ current: Route }>({ current: parse(location.hash) });

window.addEventListener('hashchange', () => {
  route.current = parse(location.hash);
});

/** Builds a hash link: href('devices', 3) → '#/devices/3'. */
export function href(page: string, ...params: (string | number)[]): string {
  return `#/${[page, ...params.map((p) => encodeURIComponent(String(p)))].join('/')}`;
}

export function navigate(link: string): void {
  location.hash = link.startsWith('#') ? link.slice(1) : link;
}
