/**
 * A logged-in dashboard session against a running tracksink (real HTTP): the session cookie and the
 * CSRF token, as the browser would send them. For process-level tests that read and change state
 * through the API.
 */
export interface HttpSession {
  get<T = unknown>(path: string): Promise<T>;
  send<T = unknown>(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** The raw response, for status checks. */
  request(method: string, path: string, body?: unknown): Promise<Response>;
}

export async function login(baseUrl: string, password: string): Promise<HttpSession> {
  const response = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  const cookie = /tracksink_session=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0];
  if (cookie === undefined) throw new Error('no session cookie');
  const { csrfToken } = (await response.json()) as { csrfToken: string };

  const request = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const reply = await request(method, path, body);
    if (!reply.ok) throw new Error(`${method} ${path}: ${reply.status} ${await reply.text()}`);
    return (await reply.json()) as T;
  };
  return {
    get: (path) => json('GET', path),
    send: (method, path, body) => json(method, path, body),
    request,
  };
}
