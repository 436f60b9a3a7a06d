import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderExampleConfig } from '../../../server/config/example.js';
import { ConfigError, allKeys, defaultConfig, loadConfig } from '../../../server/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'tracksink-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('uses the built-in defaults when there is no file and no environment', () => {
    const { config, file } = loadConfig({ env: {}, cwd: dir });
    expect(file).toBeNull();
    expect(config.dns.port).toBe(53);
    expect(config.http.port).toBe(8080);
    expect(config.dataDir).toBe('./data');
    expect(config.dns.blocking.mode).toBe('null');
    expect(config.dns.upstreams[0]).toMatch(/^https:\/\//);
  });

  it('reads the YAML file and lets environment variables override it', () => {
    const file = writeConfig(
      'a.yaml',
      'dns:\n  port: 5353\n  blocking:\n    mode: nxdomain\nhttp:\n  port: 9000\n',
    );
    const { config } = loadConfig({
      env: {
        TRACKSINK_CONFIG: file,
        TRACKSINK_HTTP_PORT: '9100',
        TRACKSINK_UPSTREAMS: 'udp://127.0.0.1:53, tls://9.9.9.9:853',
      },
      cwd: dir,
    });
    expect(config.dns.port).toBe(5353);
    expect(config.dns.blocking.mode).toBe('nxdomain');
    expect(config.http.port).toBe(9100);
    expect(config.dns.upstreams).toEqual(['udp://127.0.0.1:53', 'tls://9.9.9.9:853']);
  });

  it('names an unknown key with its file line and the known keys', () => {
    const file = writeConfig('b.yaml', 'dns:\n  port: 53\n  prot: 54\n');
    const problems = problemsOf(() => loadConfig({ file, env: {}, cwd: dir }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('dns.prot');
    expect(problems[0]).toContain('b.yaml:3');
    expect(problems[0]).toContain('unknown key');
    expect(problems[0]).toContain('port');
  });

  it('reports every wrong type and value, naming key and source', () => {
    const file = writeConfig(
      'c.yaml',
      'dns:\n  port: "fifty"\n  strategy: random\n  cache:\n    serveStale: maybe\n',
    );
    const problems = problemsOf(() => loadConfig({ file, env: { TRACKSINK_HTTP_PORT: '70000' }, cwd: dir }));
    expect(problems.join('\n')).toMatch(/dns\.port \(.*c\.yaml:2\): expected an integer/);
    expect(problems.join('\n')).toMatch(/dns\.strategy .*"random" is not one of parallel, failover/);
    expect(problems.join('\n')).toMatch(/dns\.cache\.serveStale .*expected true or false/);
    expect(problems.join('\n')).toMatch(/http\.port \(TRACKSINK_HTTP_PORT\): 70000 is out of range/);
  });

  it('reports YAML syntax errors with the line', () => {
    const file = writeConfig('d.yaml', 'dns:\n  port: 53\n   bind: x\n');
    const problems = problemsOf(() => loadConfig({ file, env: {}, cwd: dir }));
    expect(problems[0]).toMatch(/d\.yaml:\d+: YAML syntax error/);
  });

  it('checks values that need parsing: addresses, CIDRs, upstream URLs, custom mode', () => {
    const file = writeConfig(
      'e.yaml',
      [
        'dns:',
        '  blocking: { mode: custom }',
        '  upstreams: ["8.8.8.8"]',
        '  access: { allow: ["198.18.0.0/33"] }',
        '  local: { "nas.home": "not-an-ip" }',
      ].join('\n'),
    );
    const problems = problemsOf(() => loadConfig({ file, env: {}, cwd: dir })).join('\n');
    expect(problems).toContain('dns.blocking.mode: "custom" needs at least one address');
    expect(problems).toContain('dns.upstreams: "8.8.8.8" must start with');
    expect(problems).toContain('dns.access.allow: "198.18.0.0/33" is not an address or CIDR');
    expect(problems).toContain('dns.local.nas.home: "not-an-ip" is not an IP address');
  });

  it('fails clearly when TRACKSINK_CONFIG points at a missing file', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { TRACKSINK_CONFIG: join(dir, 'missing.yaml') }, cwd: dir }),
    );
    expect(problems[0]).toContain('does not exist');
  });

  it('keeps config/tracksink.example.yaml in step with the schema, and it loads to the defaults', () => {
    const committed = readFileSync(
      new URL('../../../config/tracksink.example.yaml', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(renderExampleConfig());
    for (const { key } of allKeys()) expect(committed).toContain(`${key.split('.').pop()}:`);
    const file = writeConfig('example.yaml', committed);
    expect(loadConfig({ file, env: {}, cwd: dir }).config).toEqual(defaultConfig());
  });
});
