/** A local HTTP server on 127.0.0.1 serving blocklist texts by path, counting the requests it got. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListServer {
  url: (path: string) => string;
  requests: string[];
  close: () => Promise<void>;
}

export async function startListServer(files: Record<string, string>): Promise<ListServer> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    requests.push(path);
    const body = files[path];
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
