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

  it('names an unknown key with its file line, the likely meant key and the known keys', () => {
    const file = writeConfig('b.yaml', 'dns:\n  port: 53\n  prot: 54\n');
    const problems = problemsOf(() => loadConfig({ file, env: {}, cwd: dir }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^dns\.prot \(.*b\.yaml:3\): tracksink has no such setting\. Did you mean port\?/,
    );
    expect(problems[0]).toContain('The settings under dns are: bind, port,');
  });

  it('reports every wrong type and value, naming key and source', () => {
    const file = writeConfig(
      'c.yaml',
      'dns:\n  port: "fifty"\n  strategy: random\n  cache:\n    serveStale: maybe\n',
    );
    const problems = problemsOf(() => loadConfig({ file, env: { TRACKSINK_HTTP_PORT: '70000' }, cwd: dir }));
    const all = problems.join('\n');
    expect(all).toMatch(
      /dns\.port \(.*c\.yaml:2\): "fifty" is not a whole number\. Write a whole number from 0 to 65535, like 53/,
    );
    expect(all).toMatch(
      /dns\.strategy \(.*c\.yaml:3\): "random" is not one of the choices\. Write one of parallel, failover/,
    );
    expect(all).toMatch(
      /dns\.cache\.serveStale \(.*c\.yaml:5\): "maybe" is not true or false\. Write true or false/,
    );
    expect(all).toContain(
      'http.port (TRACKSINK_HTTP_PORT): 70000 is out of range. Write a whole number from 0 to 65535, like TRACKSINK_HTTP_PORT=8080',
    );
  });

  it('reports YAML syntax errors with the line', () => {
    const file = writeConfig('d.yaml', 'dns:\n  port: 53\n   bind: x\n');
    const problems = problemsOf(() => loadConfig({ file, env: {}, cwd: dir }));
    expect(problems[0]).toMatch(/d\.yaml:\d+: the file is not valid YAML: /);
    expect(problems.at(-1)).toMatch(/d\.yaml: check the lines named above: each level indented two spaces/);
  });

  it('checks values that need parsing, naming the line of the bad item and what to write', () => {
    const file = writeConfig(
      'e.yaml',
      [
        'dns:',
        '  upstreams:',
        '    - "https://dns.quad9.net/dns-query"',
        '    - "8.8.8.8"',
        '  access:',
        '    allow: ["192.168.1.0/24"]',
        '    deny:',
        '      - "192.168.1.7"',
        '      - "198.18.0.0/33"',
        '  local: { "nas.home": "not-an-ip" }',
        '  bootstrap: ["dns.google"]',
        'tls:',
        '  serverName: "not a domain"',
      ].join('\n'),
    );
    const problems = problemsOf(() => loadConfig({ file, env: {}, cwd: dir }));
    const line = (key: string) => problems.find((problem) => problem.startsWith(`${key} (`)) ?? '';
    expect(line('dns.upstreams')).toMatch(
      /^dns\.upstreams \(.*e\.yaml:4\): "8\.8\.8\.8" needs to say how to reach it\. Write udp:\/\/8\.8\.8\.8:53/,
    );
    expect(line('dns.access.deny')).toMatch(
      /^dns\.access\.deny \(.*e\.yaml:9\): "198\.18\.0\.0\/33" is not a network \(the number after \/ must be 0 to 32 for an IPv4 network\)\. Write an address like 192\.168\.1\.10 or a network like 192\.168\.1\.0\/24$/,
    );
    expect(line('dns.local.nas.home')).toMatch(
      /^dns\.local\.nas\.home \(.*e\.yaml:10\): "not-an-ip" is not an IP address\. Write one like 192\.168\.1\.10$/,
    );
    expect(line('dns.bootstrap')).toMatch(
      /e\.yaml:11\): "dns\.google" is not an IP address\. Write a DNS server's address like 1\.1\.1\.1/,
    );
    expect(line('tls.serverName')).toMatch(
      /e\.yaml:13\): "not a domain" is not a domain name .*\. Write one like dns\.example\.org, or leave it empty$/,
    );
    expect(problems).toHaveLength(5);
  });

  it('words checks across keys with where the value came from', () => {
    const file = writeConfig('f.yaml', 'dns:\n  blocking:\n    mode: custom\n');
    const problems = problemsOf(() =>
      loadConfig({
        file,
        env: { TRACKSINK_UPSTREAMS: ' , ' },
        overrides: { 'dns.cache.minTtl': 600, 'dns.cache.maxTtl': 60 },
        cwd: dir,
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^dns\.upstreams \(TRACKSINK_UPSTREAMS\): no upstream resolver is set, so no name could be looked up\. Write at least one, like https:\/\/dns\.quad9\.net\/dns-query/,
      ),
    ]);
    const cross = problemsOf(() =>
      loadConfig({ file, env: {}, overrides: { 'dns.cache.minTtl': 600, 'dns.cache.maxTtl': 60 }, cwd: dir }),
    );
    expect(cross).toEqual([
      expect.stringMatching(
        /^dns\.blocking\.mode \(.*f\.yaml:3\): "custom" answers blocked names with your own addresses, but none is set\. Add one to dns\.blocking\.ipv4 \(like \["192\.168\.1\.2"\]\)/,
      ),
      'dns.cache.minTtl (override): 600 is larger than dns.cache.maxTtl (60). Write a number up to 60, like 0, or raise dns.cache.maxTtl',
    ]);
  });

  it('gives environment examples in the form of a variable, and lists as comma lists', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: { TRACKSINK_ALLOW_CLIENTS: '10.0.0.0/8,lan', TRACKSINK_TLS: 'perhaps' },
        cwd: dir,
      }),
    );
    expect(problems).toContain(
      'dns.access.allow (TRACKSINK_ALLOW_CLIENTS): "lan" is not a network. Write an address like 192.168.1.10 or a network like 192.168.1.0/24',
    );
    expect(problems).toContain(
      'tls.enabled (TRACKSINK_TLS): "perhaps" is not true or false. Write true or false (or 1/0, yes/no, on/off), like TRACKSINK_TLS=true',
    );
  });

  it('says what to write for every kind of key (each message has a "Write" part with an example)', () => {
    const file = writeConfig(
      'g.yaml',
      [
        'dns:',
        '  bind: [1, 2]',
        '  local: "nas.home"',
        '  blocking:',
        '    ipv6: "fd00::2"',
        'lists:',
        '  extra: 5',
        'http: 8080',
      ].join('\n'),
    );
    const problems = problemsOf(() => loadConfig({ file, env: {}, cwd: dir }));
    expect(problems).toHaveLength(5);
    for (const problem of problems) expect(problem).toMatch(/^[\w.]+ \(.*g\.yaml:\d+\): .+\. Write .*like/s);
    expect(problems.join('\n')).toContain(
      'expected a list, got 5. Write a list of text values, like ["https://example.org/hosts.txt"]',
    );
    expect(problems.join('\n')).toContain(
      'http (' +
        file +
        ':8): expected settings under it, got 8080. Write them on the lines below http:, indented two spaces, like bind: "0.0.0.0"',
    );
  });

  it('fails clearly when TRACKSINK_CONFIG points at a missing file', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { TRACKSINK_CONFIG: join(dir, 'missing.yaml') }, cwd: dir }),
    );
    expect(problems[0]).toMatch(
      /^TRACKSINK_CONFIG: the file .*missing\.yaml does not exist\. Set it to the path of your config file/,
    );
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
