/**
 * No Docker engine runs in CI, so the packaging is checked by reading it: the Dockerfile's build steps are
 * the README's install steps, every file it copies exists (and is not excluded by .dockerignore), the image
 * keeps the product's contracts (port 53 as non-root, volumes, health check), and the compose file and the
 * systemd unit are valid.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { copyParts, parseDockerfile, runSteps, type Stage } from './dockerfile-parse.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const stages = parseDockerfile(read('Dockerfile'));
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
/**
 * `npm start` as its parts: leading NAME=value words (the environment: the image and the unit set them their
 * own way), then `node`, node's flags and the entry, which the image's CMD and the unit's ExecStart repeat.
 */
const startWords = (packageJson.scripts.start ?? '').split(' ');
const envWords = startWords.findIndex((word) => !/^[A-Z_]+=/.test(word));
const startEnv = startWords.slice(0, Math.max(0, envWords));
const startCommand = startWords.slice(startEnv.length);
const runtime = stages[stages.length - 1] as Stage;
const instructions = (stage: Stage, keyword: string): string[] =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const stageNamed = (name: string): Stage | undefined => stages.find((s) => s.name === name);

/** .dockerignore patterns (top-level names and simple globs are all this repository uses). */
function ignored(path: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return patterns.some((pattern) => {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return regex.test(path) || (pattern.startsWith('*') && regex.test(path.split('/').pop() ?? ''));
  });
}

describe('Dockerfile', () => {
  it('builds in one stage with dev dependencies and runs in another on the same Node.js LTS image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime.from).toBe('node:24-bookworm-slim');
    // better-sqlite3 is a native addon: built for the Node.js that runs it, so every stage uses one image.
    expect(new Set(stages.map((s) => s.from))).toEqual(new Set(['node:24-bookworm-slim']));
  });

  it("runs the README's install steps: npm install (as npm ci) then the build npm start triggers", () => {
    const readme = read('README.md');
    const install = /```sh\n(.+)\n```/.exec(readme)?.[1];
    // The README's install command; the image performs its steps ahead of time.
    expect(install).toBe('npm install && npm start');
    expect(packageJson.scripts.prestart).toBe('node scripts/ensure-built.mjs');
    const ensureBuilt = read('scripts/ensure-built.mjs');
    expect(ensureBuilt).toContain('npm run build:server');
    expect(ensureBuilt).toContain('npm run build:web');
    expect(packageJson.scripts.build).toBe('npm run build:server && npm run build:web');

    const build = stages.find((s) => runSteps(s).includes('npm run build'));
    expect(build, 'a stage runs npm run build').toBeDefined();
    const steps = runSteps(build as Stage);
    expect(steps.indexOf('npm ci')).toBeGreaterThanOrEqual(0);
    expect(steps.indexOf('npm ci')).toBeLessThan(steps.indexOf('npm run build'));
    // The toolchain better-sqlite3 needs when no prebuilt binary fits.
    expect(steps.join(' ')).toMatch(/apt-get install .*python3.*make.*g\+\+/);
  });

  it('ships production dependencies only, built in a stage with the toolchain', () => {
    const copies = instructions(runtime, 'COPY').map(copyParts);
    const modules = copies.find((c) => c.sources.some((s) => s.endsWith('node_modules')));
    expect(modules?.from, 'node_modules comes from another stage').toBeTruthy();
    const source = stageNamed(modules?.from as string) as Stage;
    expect(runSteps(source).some((s) => /^npm (ci|prune) --omit=dev\b/.test(s))).toBe(true);
    expect(runSteps(runtime).join(' ')).not.toMatch(/\bnpm (ci|install)\b/);
  });

  it('copies only files that exist in the build context or that the build produces', () => {
    const produced = ['dist', 'web/dist']; // tsconfig.build.json outDir, web/vite.config.ts outDir
    expect(JSON.parse(read('tsconfig.json')).compilerOptions.outDir).toBe('dist');
    expect(read('web/vite.config.ts')).toMatch(/outDir: 'dist'/);
    for (const stage of stages) {
      const workdir = instructions(stage, 'WORKDIR').at(0) ?? '/';
      for (const args of instructions(stage, 'COPY')) {
        const { from, sources } = copyParts(args);
        for (const source of sources) {
          const path = from ? relative(workdir, source) : source === '.' ? '.' : source.replace(/^\.\//, '');
          if (from) {
            expect(stageNamed(from), `COPY --from=${from} names a stage`).toBeDefined();
            if (path === 'node_modules') continue;
            const isOutput = produced.some((p) => path === p || path.startsWith(`${p}/`));
            expect(isOutput || existsSync(join(repoRoot, path)), `${path} exists or is built`).toBe(true);
          } else {
            expect(existsSync(join(repoRoot, path)), `${path} exists`).toBe(true);
            if (path !== '.') expect(ignored(path), `${path} is not in .dockerignore`).toBe(false);
          }
        }
      }
    }
  });

  it('keeps files read at run time from the source tree (migrations, catalog) in the image', () => {
    const copied = instructions(runtime, 'COPY').flatMap((args) =>
      copyParts(args).sources.map((s) => relative('/app', s)),
    );
    const runtimeFiles = (dir: string): string[] =>
      readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && !/\.(ts|md)$/.test(e.name))
        .map((e) => relative(repoRoot, join(e.parentPath, e.name)));
    for (const file of [...runtimeFiles('server'), ...runtimeFiles('blocklists'), 'package.json']) {
      expect(
        copied.some((c) => file === c || file.startsWith(`${c}/`)),
        `${file} is copied`,
      ).toBe(true);
    }
    // The build context must contain them too.
    expect(ignored('server/store/migrations')).toBe(false);
    expect(ignored('blocklists')).toBe(false);
    expect(ignored('node_modules')).toBe(true);
  });

  it('runs as a non-root user that may bind port 53, with volumes, ports and a health check', () => {
    expect(instructions(runtime, 'USER')).toEqual(['node']);
    expect(runSteps(runtime).join(' ')).toMatch(/setcap cap_net_bind_service=\+ep/);
    expect(instructions(runtime, 'VOLUME').join(' ')).toMatch(/"\/data".*"\/config"/);
    // DNS, the dashboard, DNS-over-TLS and HTTPS (DoH with a ClientID, and the dashboard).
    expect(instructions(runtime, 'EXPOSE')).toEqual(['53/udp 53/tcp 8080 853/tcp 8443/tcp']);
    const health = instructions(runtime, 'HEALTHCHECK').join(' ');
    expect(health).toContain('/api/health');
    expect(health).toMatch(/CMD \["node"/);
    const env = instructions(runtime, 'ENV').join(' ');
    expect(env).toContain('TRACKSINK_DATA_DIR=/data');
  });

  it('starts with the same command as npm start, without npm in between', () => {
    const cmd = JSON.parse(instructions(runtime, 'CMD').at(-1) ?? '[]') as string[];
    expect(startCommand[0]).toBe('node');
    expect(cmd).toEqual(startCommand);
    // The start command's environment (e.g. MALLOC_ARENA_MAX) is the image's too.
    const env = instructions(runtime, 'ENV').join(' ').split(/\s+/);
    for (const assignment of startEnv) expect(env, assignment).toContain(assignment);
  });

  it('has a health check that passes on 200 from /api/health and fails otherwise', async () => {
    const health = instructions(runtime, 'HEALTHCHECK').join(' ');
    const cmd = JSON.parse(health.slice(health.indexOf('CMD') + 3).trim()) as string[];
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    let status = 200;
    const paths: string[] = [];
    const server = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const check = async (env: Record<string, string>): Promise<number | null> => {
      const child = spawn(process.execPath, cmd.slice(1), {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code] = (await once(child, 'exit')) as [number | null];
      clearTimeout(timer);
      return code;
    };
    try {
      expect(await check({ TRACKSINK_HTTP_PORT: String(port) })).toBe(0);
      status = 503;
      expect(await check({ TRACKSINK_HTTP_PORT: String(port) })).toBe(1);
      expect(paths).toEqual(['/api/health', '/api/health']);
    } finally {
      await new Promise((done) => server.close(done));
    }
    // Nothing listening any more: the check must fail, not hang or pass.
    expect(await check({ TRACKSINK_HTTP_PORT: String(port) })).toBe(1);
  });
});

describe('docker/compose.yaml', () => {
  const compose = parseYaml(read('docker/compose.yaml')) as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };
  const service = compose.services.tracksink as Record<string, unknown>;

  it('builds the repository Dockerfile and uses host networking, with the reason given', () => {
    expect(service).toBeDefined();
    const build = service.build as { context: string; dockerfile: string };
    const context = resolve(repoRoot, 'docker', build.context);
    expect(context).toBe(repoRoot);
    expect(existsSync(join(context, build.dockerfile))).toBe(true);
    expect(service.network_mode).toBe('host');
    expect(read('docker/compose.yaml')).toMatch(/MAC addresses[\s\S]*same network segment/);
    expect(service.restart).toBe('unless-stopped');
  });

  it('mounts the data and config volumes the image declares', () => {
    const volumes = service.volumes as string[];
    const targets = volumes.map((v) => v.split(':')[1]);
    expect(targets).toEqual(expect.arrayContaining(['/data', '/config']));
    for (const volume of volumes) {
      const sourceName = volume.split(':')[0] as string;
      if (!sourceName.startsWith('.') && !sourceName.startsWith('/'))
        expect(compose.volumes).toHaveProperty(sourceName);
    }
  });

  it('keeps the port-53 capability and nothing that would disable it', () => {
    expect(service.cap_add).toEqual(['NET_BIND_SERVICE']);
    expect(JSON.stringify(service.security_opt ?? [])).not.toContain('no-new-privileges');
  });

  it('offers the port-mapped alternative, which parses once uncommented', () => {
    const text = read('docker/compose.yaml');
    const block = text
      .split('\n')
      .filter((l) => /^\s*#\s*(ports:|- '\d+:\d+\/(udp|tcp)')/.test(l))
      .map((l) => l.replace(/^(\s*)#\s?/, '$1'));
    const ports = parseYaml(block.map((l) => l.replace(/^ {4}/, '')).join('\n')) as { ports: string[] };
    expect(ports.ports).toEqual(['53:53/udp', '53:53/tcp', '8080:8080/tcp', '853:853/tcp', '8443:8443/tcp']);
  });

  it('is accepted by docker compose config when the compose plugin is installed', () => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) return; // no compose plugin on this machine: the YAML checks above still ran
    const result = spawnSync(
      'docker',
      ['compose', '-f', join(repoRoot, 'docker/compose.yaml'), 'config', '--quiet'],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('deploy/tracksink.service', () => {
  const text = read('deploy/tracksink.service');
  const sections = new Map<string, Map<string, string[]>>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) {
      current = section[1] as string;
      sections.set(current, new Map());
      continue;
    }
    const [key, ...value] = line.split('=');
    const entries = sections.get(current);
    if (!entries || !key) throw new Error(`tracksink.service: "${line}" is outside a section or has no key`);
    entries.set(key, [...(entries.get(key) ?? []), value.join('=')]);
  }
  const service = sections.get('Service') ?? new Map<string, string[]>();
  const get = (key: string): string | undefined => service.get(key)?.at(-1);
  const tempDirs: string[] = [];
  afterAll(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('has the three sections and starts the built server as an unprivileged user', () => {
    expect([...sections.keys()]).toEqual(['Unit', 'Service', 'Install']);
    // npm start's node flags and entry, with the installed paths; its environment as Environment= lines.
    const [, ...flags] = startCommand.slice(0, -1);
    expect(get('ExecStart')).toBe(
      ['/usr/bin/node', ...flags, `/opt/tracksink/${startCommand.at(-1)}`].join(' '),
    );
    for (const assignment of startEnv) expect(service.get('Environment'), assignment).toContain(assignment);
    expect(get('WorkingDirectory')).toBe('/opt/tracksink');
    expect(get('User')).toBe('tracksink');
    expect(get('Restart')).toBe('on-failure');
    expect(sections.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('grants only the port-53 capability and turns on the hardening options', () => {
    expect(get('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
    expect(get('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    for (const [key, value] of [
      ['NoNewPrivileges', 'true'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'true'],
      ['PrivateTmp', 'true'],
      ['PrivateDevices', 'true'],
      ['ProtectKernelTunables', 'true'],
      ['RestrictSUIDSGID', 'true'],
    ]) {
      expect(get(key as string), key).toBe(value);
    }
    // V8's JIT needs writable-executable pages; turning this on would crash node at start.
    expect(get('MemoryDenyWriteExecute')).not.toBe('true');
    // With ProtectSystem=strict the data directory must be a writable StateDirectory.
    expect(get('StateDirectory')).toBe('tracksink');
    expect(service.get('Environment')).toContain('TRACKSINK_DATA_DIR=/var/lib/tracksink');
  });

  it('matches the install notes: user, config file, and freeing port 53 from systemd-resolved', () => {
    const install = read('deploy/INSTALL.md');
    expect(install).toContain('useradd --system --user-group');
    expect(install).toContain(' tracksink\n');
    const configFile = service
      .get('Environment')
      ?.find((e) => e.startsWith('TRACKSINK_CONFIG='))
      ?.split('=')[1];
    expect(configFile).toBe('/etc/tracksink/tracksink.yaml');
    expect(install).toContain(configFile as string);
    expect(install).toContain('DNSStubListener=no');
    expect(install).toContain('cp /opt/tracksink/deploy/tracksink.service /etc/systemd/system/');
    for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev']) expect(install).toContain(step);
  });

  it('passes systemd-analyze verify when systemd is installed', () => {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) return; // no systemd tools here: the structural checks above still ran
    const dir = mkdtempSync(join(tmpdir(), 'tracksink-unit-'));
    tempDirs.push(dir);
    // Verify also checks that ExecStart's program exists: use this machine's node in the copy.
    const unit = join(dir, 'tracksink.service');
    writeFileSync(unit, text.replace('/usr/bin/node ', `${process.execPath} `));
    let output: string;
    try {
      output = execFileSync('systemd-analyze', ['verify', unit], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 20_000,
      });
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string };
      output = `${failure.stdout ?? ''}${failure.stderr ?? ''}`;
    }
    expect(output).not.toMatch(/Unknown (key|section)|Failed|Invalid|is not executable/);
  });
});
