/**
 * Which modules a child Node process loads: a module-resolution hook, passed with `--import`, that appends
 * every module URL each thread of the process resolves to one log file. The start-up tests use it to check
 * what loads before DNS answers (import-graph) and that the bundled server loads only its bundle (bundle).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ModuleLog {
  /** The `--import` argument that installs the hook (the log is emptied each time this is made). */
  importArg: string;
  /** Every module URL resolved so far, in order. */
  loaded(): string[];
}

/** A hook writing to `<dir>/<name>.log`; its two small scripts are written into `dir` too. */
export function moduleLog(dir: string, name = 'modules'): ModuleLog {
  const log = join(dir, `${name}.log`);
  const hooks = join(dir, `${name}-hooks.mjs`);
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + '\\n');
  return result;
}
`,
  );
  const register = join(dir, `${name}-register.mjs`);
  writeFileSync(
    register,
    `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { log: ${JSON.stringify(log)} } });
`,
  );
  writeFileSync(log, '');
  return {
    importArg: pathToFileURL(register).href,
    loaded: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}
