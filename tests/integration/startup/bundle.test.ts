/**
 * The bundled server (issue 16, start-up; scripts/bundle-server.mjs): `npm start` runs dist/server/main.js,
 * which takes serve.js and every worker thread's entry from dist/server/bundle/. In a bundle each module's
 * `import.meta.url` is its chunk's, so everything found relative to a module must still be found: the
 * worker threads, the migrations (a fresh data dir runs them all), the prebuilt catalogs, the dashboard.
 * Started as a user starts it, with a module-resolution hook that writes down every module it loads.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dns-clients.js';
import { moduleLog } from '../../helpers/module-log.js';
import { repoRoot, startTracksink, type TracksinkProcess } from '../../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const bundleDir = join(repoRoot, 'dist', 'server', 'bundle');
const scratch = mkdtempSync(join(tmpdir(), 'tracksink-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `--import` this: every thread of the server writes down each module URL it resolves (emptied each time). */
let hookLog = moduleLog(scratch);
function resolutionHook(): string {
  hookLog = moduleLog(scratch);
  return hookLog.importArg;
}
const loaded = (): string[] => hookLog.loaded();

interface Metafile {
  outputs: Record<string, { imports: { path: string; kind: string }[]; inputs: Record<string, unknown> }>;
}

/** The source files in the outputs `entry` loads with static imports (what runs before a dynamic import). */
function staticallyLoadedInputs(entry: string): string[] {
  const meta = JSON.parse(readFileSync(join(bundleDir, 'meta.json'), 'utf8')) as Metafile;
  const key = Object.keys(meta.outputs).find((file) => file.endsWith(`/${entry}`));
  if (key === undefined) throw new Error(`${entry} is not in the bundle's meta.json`);
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file) || meta.outputs[file] === undefined) return;
    seen.add(file);
    for (const imported of meta.outputs[file].imports)
      if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(key);
  return [...seen].flatMap((file) => Object.keys(meta.outputs[file]!.inputs));
}

describe('the bundled server', () => {
  let upstream: StubDnsServer;
  let server: TracksinkProcess;

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.9' });
    const listFile = join(scratch, 'household.txt');
    // Over the parser's in-place limit (256 kB), so the parser thread parses it (list-parser.ts).
    const filler = Array.from({ length: 15_000 }, (_, i) => `0.0.0.0 tracker-${i}.filler.bundle.test\n`);
    writeFileSync(listFile, `0.0.0.0 ads.bundle.test\n0.0.0.0 pixel.bundle.test\n${filler.join('')}`);
    server = await startTracksink({
      nodeArgs: ['--import', resolutionHook()],
      env: { TRACKSINK_UPSTREAMS: upstream.udpUrl, TRACKSINK_BLOCKLISTS: listFile },
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
    await upstream?.close();
  });

  it('runs from dist/server/bundle/, not from tsc’s one file per module', () => {
    expect(existsSync(join(bundleDir, 'serve.js'))).toBe(true);
    const ours = loaded().filter((url) => url.includes('/dist/server/'));
    expect(ours.some((url) => url.endsWith('/dist/server/bundle/serve.js'))).toBe(true);
    // Only the entry itself (main.js) comes from tsc's build; everything else from the bundle.
    expect(
      ours.filter((url) => !url.includes('/dist/server/bundle/') && !url.endsWith('/dist/server/main.js')),
    ).toEqual([]);
  });

  it('answers from a list parsed by the bundled parser thread, and forwards the rest', async () => {
    const blocked = await dig(server.dnsPort, 'ads.bundle.test');
    expect(blocked.answers.map((answer) => answer.data)).toEqual(['0.0.0.0']);
    const forwarded = await dig(server.dnsPort, 'www.bundle.test');
    expect(forwarded.answers.map((answer) => answer.data)).toEqual(['192.0.2.9']);
    expect(loaded().some((url) => url.endsWith('/dist/server/bundle/parse-worker.js'))).toBe(true);
  });

  it('the bundled log writer thread migrates querylog.db and writes the queries', async () => {
    await dig(server.dnsPort, 'pixel.bundle.test');
    const file = join(server.dataDir, 'querylog.db');
    let names: string[] = [];
    for (let attempt = 0; attempt < 100 && !names.includes('pixel.bundle.test'); attempt++) {
      await new Promise((wake) => setTimeout(wake, 100));
      if (!existsSync(file)) continue;
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        names = db
          .prepare('SELECT n.name FROM queries q JOIN names n ON n.id = q.name_id')
          .pluck()
          .all() as string[];
      } catch {
        // the writer has not created the tables yet
      } finally {
        db.close();
      }
    }
    expect(names).toContain('pixel.bundle.test');
    expect(loaded().some((url) => url.endsWith('/dist/server/bundle/log-writer-worker.js'))).toBe(true);
  });

  it('serves health, the API and the dashboard', async () => {
    const health = await fetch(`${server.baseUrl}/api/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { lists: { entries: number } }).lists.entries).toBeGreaterThanOrEqual(
      15_002,
    );
    // Fastify's plugins are bundled too: the OpenAPI document is built by @fastify/swagger from the routes.
    const docs = await fetch(`${server.baseUrl}/api/docs/json`);
    expect(docs.status).toBe(200);
    expect(Object.keys(((await docs.json()) as { paths: object }).paths)).toContain('/api/health');
    const page = await fetch(`${server.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<script[^>]+type="module"/);
  });

  it('makes its self-signed certificate and serves encrypted DNS (the certificate library loads on demand)', async () => {
    // A fresh data folder: the bundled server made a certificate with @peculiar/x509, imported only then.
    expect(server.dotPort).toBeGreaterThan(0);
    expect(server.httpsPort).toBeGreaterThan(0);
    const health = (await (await fetch(`${server.baseUrl}/api/health`)).json()) as {
      problems: Array<{ kind: string; message: string }>;
    };
    expect(health.problems.filter((problem) => problem.kind === 'encrypted-dns')).toEqual([]);
  });

  it('has an entry for every worker thread the server starts', () => {
    const sources = execFileSync(
      'grep',
      ['-rhoE', "workerEntry\\(import\\.meta\\.url, '[a-z-]+'", 'server'],
      {
        cwd: repoRoot,
      },
    ).toString();
    const names = [...sources.matchAll(/'([a-z-]+)'/g)].map((match) => match[1]!);
    expect(names).toEqual(expect.arrayContaining(['log-writer-worker', 'parse-worker', 'dns-worker']));
    // A worker added to server/ but not to scripts/bundle-server.mjs would not start from the bundle.
    expect(names.filter((name) => !existsSync(join(bundleDir, `${name}.js`)))).toEqual([]);
  });

  it('keeps Fastify, the routes and the certificate code out of what loads before DNS listens', () => {
    const early = staticallyLoadedInputs('serve.js');
    // The check itself works: the DNS server and the list manager are loaded up front.
    expect(early).toContain('server/dns/dns-server.ts');
    expect(early).toContain('server/lists/list-manager.ts');
    const late = early.filter((input) =>
      /^server\/(api\/app|encrypted-dns|certs\/acme)\.ts$|node_modules\/(fastify|@fastify\/[^/]+|acme-client|@peculiar\/x509)\//.test(
        input,
      ),
    );
    expect(late).toEqual([]);
    // … and they are in the bundle, behind a dynamic import.
    const meta = readFileSync(join(bundleDir, 'meta.json'), 'utf8');
    expect(meta).toContain('server/api/app.ts');
  });
});

describe('the bundled server, started again with the same lists', () => {
  it('takes the parsed list from the parsed-list cache, without the parser thread', async () => {
    const dataDir = join(scratch, 'restart-data');
    const listFile = join(scratch, 'restart-list.txt');
    const filler = Array.from({ length: 15_000 }, (_, i) => `0.0.0.0 t-${i}.restart.bundle.test\n`);
    writeFileSync(listFile, `0.0.0.0 ads.restart.bundle.test\n${filler.join('')}`);
    const start = async () => {
      const hook = resolutionHook();
      const server = await startTracksink({
        dataDir,
        nodeArgs: ['--import', hook],
        env: { TRACKSINK_UPSTREAMS: 'udp://127.0.0.1:9', TRACKSINK_BLOCKLISTS: listFile },
      });
      const answer = await dig(server.dnsPort, 'ads.restart.bundle.test');
      await server.stop();
      return { answer, parserThread: loaded().some((url) => url.endsWith('/bundle/parse-worker.js')) };
    };
    mkdirSync(dataDir, { recursive: true });
    try {
      const first = await start();
      expect(first.answer.answers.map((answer) => answer.data)).toEqual(['0.0.0.0']);
      expect(first.parserThread).toBe(true);
      expect(readdirSync(join(dataDir, 'lists')).filter((file) => file.endsWith('.parsed'))).toHaveLength(1);
      const second = await start();
      expect(second.answer.answers.map((answer) => answer.data)).toEqual(['0.0.0.0']);
      expect(second.parserThread).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('which build dist/server/main.js starts', () => {
  /** main.js beside a stand-in tsc serve.js and bundle/serve.js that print which one ran. */
  function layout(name: string, { bundle, bundleAge }: { bundle: boolean; bundleAge: number }): string {
    const dir = join(scratch, name);
    mkdirSync(join(dir, 'bundle'), { recursive: true });
    copyFileSync(join(repoRoot, 'dist', 'server', 'main.js'), join(dir, 'main.js'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'serve.js'), "console.log('tsc');");
    const now = Date.now() / 1000;
    utimesSync(join(dir, 'serve.js'), now - 100, now - 100);
    if (bundle) {
      writeFileSync(join(dir, 'bundle', 'serve.js'), "console.log('bundle');");
      utimesSync(join(dir, 'bundle', 'serve.js'), now - 100 + bundleAge, now - 100 + bundleAge);
    }
    return join(dir, 'main.js');
  }
  const run = (main: string, env: Record<string, string> = {}): string =>
    execFileSync(process.execPath, [main], { env: { PATH: process.env.PATH ?? '', ...env } })
      .toString()
      .trim();

  it('the bundle when it is as new as tsc’s build, tsc’s when the bundle is older, missing or turned off', () => {
    expect(run(layout('fresh', { bundle: true, bundleAge: 5 }))).toBe('bundle');
    // `tsc` ran after the bundle was made: the newer code runs, never a stale bundle.
    expect(run(layout('stale', { bundle: true, bundleAge: -5 }))).toBe('tsc');
    // … but a copy without times kept (cp -r) that stamped tsc's file a moment later keeps the bundle.
    expect(run(layout('copied', { bundle: true, bundleAge: -0.5 }))).toBe('bundle');
    expect(run(layout('none', { bundle: false, bundleAge: 0 }))).toBe('tsc');
    expect(run(layout('off', { bundle: true, bundleAge: 5 }), { TRACKSINK_UNBUNDLED: '1' })).toBe('tsc');
  });
});
