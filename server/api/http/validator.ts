/**
 * Request validation with TypeBox's compiler (the same schemas the routes declare). Bodies are checked
 * as sent, with no type coercion: `"pattern": 5` is a 400, not "5". Query strings and path parameters are
 * text by nature, so they are converted to the schema's types first (limit=10 → 10).
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  // Compiled on the route's first request, not when the app starts: compiling every route's schemas
  // before listening is what kept `/api/health` waiting (the checks and their errors are the same).
  let check: ReturnType<typeof Compile<TSchema>> | undefined;
  return (value: unknown) => {
    check ??= Compile(schema);
    const converted = httpPart === 'body' ? value : Value.Convert(schema, value);
    if (check.Check(converted)) return { value: converted };
    return { error: check.Errors(converted) as never };
  };
};
