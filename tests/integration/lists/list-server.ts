/**
 * A local HTTP list server for the list tests (node:http on 127.0.0.1, port 0). Each path has a mode that
 * the test switches at will: a good list with validators, an error, a hang, an empty body, HTML, a body
 * cut short, binary bytes. It counts requests and remembers the conditional headers it received.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Mode =
  | { kind: 'ok'; body: string; etag?: string; lastModified?: string }
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'slow-body'; body: string; delayMs: number }
  | { kind: 'empty' }
  | { kind: 'html'; contentType?: string }
  | { kind: 'truncated'; body: string }
  | { kind: 'binary' };

export interface SeenRequest {
  path: string;
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
}

export class ListServer {
  readonly modes = new Map<string, Mode>();
  readonly seen: SeenRequest[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    const { port } = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${port}${path}`;
  }

  set(path: string, mode: Mode): void {
    this.modes.set(path, mode);
  }

  requests(path: string): SeenRequest[] {
    return this.seen.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = null;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    this.seen.push({
      path,
      ifNoneMatch: req.headers['if-none-match'],
      ifModifiedSince: req.headers['if-modified-since'],
    });
    const mode = this.modes.get(path) ?? { kind: 'status', status: 404 };
    switch (mode.kind) {
      case 'ok': {
        if (mode.etag && req.headers['if-none-match'] === mode.etag) return void res.writeHead(304).end();
        if (mode.lastModified && !mode.etag && req.headers['if-modified-since'] === mode.lastModified) {
          return void res.writeHead(304).end();
        }
        const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
        if (mode.etag) headers['etag'] = mode.etag;
        if (mode.lastModified) headers['last-modified'] = mode.lastModified;
        return void res.writeHead(200, headers).end(mode.body);
      }
      case 'status':
        return void res.writeHead(mode.status, { 'content-type': 'text/plain' }).end('error');
      case 'hang':
        return; // never answers; close() destroys the socket
      case 'slow-body': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(mode.body.slice(0, 10));
        const timer = setTimeout(() => res.end(mode.body.slice(10)), mode.delayMs);
        this.timers.add(timer);
        return;
      }
      case 'empty':
        return void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '0' }).end();
      case 'html':
        return void res
          .writeHead(200, { 'content-type': mode.contentType ?? 'text/html; charset=utf-8' })
          .end(
            '<!DOCTYPE html>\n<html><head><title>Captive portal</title></head><body>Log in</body></html>\n',
          );
      case 'truncated': {
        const bytes = Buffer.from(mode.body);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(bytes.length) });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        // Cut the connection with half the promised bytes sent.
        setImmediate(() => res.socket?.destroy());
        return;
      }
      case 'binary':
        return void res
          .writeHead(200, { 'content-type': 'application/octet-stream' })
          .end(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x03]));
    }
  }
}

/** A hosts-format list of `count` names under `zone`. */
export function hostsList(count: number, zone: string): string {
  const lines = ['# test list', '127.0.0.1 localhost'];
  for (let i = 0; i < count; i++) lines.push(`0.0.0.0 t${i}.${zone}`);
  return `${lines.join('\n')}\n`;
}
