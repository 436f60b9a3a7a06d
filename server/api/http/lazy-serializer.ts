/**
 * Response serialisers compiled on a route's first reply instead of when the app starts. Fastify builds a
 * fast-json-stringify function for every response schema of every route before it listens (~0.5 s of CPU
 * for this API on a small machine, all of it before `/api/health` answers, most of it for routes a
 * household opens rarely). This factory is Fastify's own (same options, same shared schemas, so the same
 * output); it only defers each route's build to the first time that route and status code send a body.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;

export function lazySerializerFactory(): SerializerFactory {
  const eager = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = eager(externalSchemas, options);
    return (route) => {
      let serialize: ((doc: unknown) => string) | undefined;
      return (doc: unknown) => (serialize ??= compile(route))(doc);
    };
  };
}
