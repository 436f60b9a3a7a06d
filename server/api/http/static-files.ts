/**
 * Serves the built dashboard (web/dist) with an SPA fallback: a GET for a path without a file extension
 * that is not an API path answers index.html, so client-side routes survive a reload. Anything that looks
 * like a traversal (dot segments, encoded slashes or backslashes, NUL) is a 404 before touching the disk.
 */
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

const NOT_FOUND_PREFIXES = ['/api/', '/metrics', '/dns-query'];

function isSuspicious(rawPath: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return true;
  }
  return (
    /%2f|%5c|%00|%2e/i.test(rawPath) ||
    decoded.includes('\\') ||
    decoded.includes('\0') ||
    decoded.includes('//') ||
    // "..", ".", "....": no real file or app route is made of dots only.
    decoded.split('/').some((segment) => /^\.+$/.test(segment))
  );
}

export async function registerStaticFiles(app: FastifyInstance, webRoot: string | undefined): Promise<void> {
  const root = webRoot && existsSync(join(webRoot, 'index.html')) ? webRoot : null;
  if (root) await app.register(fastifyStatic, { root, serve: false, index: false, dotfiles: 'deny' });

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (NOT_FOUND_PREFIXES.some((prefix) => path.startsWith(prefix))) {
      throw new HttpError(404, 'not-found', `no route ${request.method} ${path}`);
    }
    if (!root || isSuspicious(path)) throw new HttpError(404, 'not-found', `not found: ${path}`);
    const file = decodeURIComponent(path).replace(/^\/+/, '');
    const hashed = file.startsWith('assets/');
    if (file !== '' && existsSync(join(root, file))) {
      // Vite's hashed assets never change under one name: cache them for a year.
      return reply.sendFile(file, { maxAge: hashed ? 31_536_000_000 : 0, immutable: hashed });
    }
    // Missing files with an extension (e.g. /app.js) are real 404s, not the app.
    if (/\.[a-z0-9]+$/i.test(file)) throw new HttpError(404, 'not-found', `not found: ${path}`);
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html');
  };
  app.get('/*', { config: { public: true }, schema: { hide: true } }, handler);
}
