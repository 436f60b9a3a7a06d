/**
 * The app catalog: the shipped files load, cover the apps the issue names by their own hosts, stay small,
 * and a malformed entry is refused with its file and line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppCatalogError, loadAppCatalog } from '../../../../server/trackers/apps/app-catalog.js';

const temp = mkdtempSync(join(tmpdir(), 'tracksink-app-catalog-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

let folder = 0;
/** A catalog folder (blocklists/apps inside a fake project) holding `files`. */
function catalogDir(files: Record<string, string>): string {
  const dir = join(temp, `p${++folder}`, 'blocklists', 'apps');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function problemsOf(files: Record<string, string>): string[] {
  try {
    loadAppCatalog(catalogDir(files));
  } catch (error) {
    expect(error).toBeInstanceOf(AppCatalogError);
    return [...(error as AppCatalogError).problems];
  }
  throw new Error('the catalog was accepted');
}

const GOOD = `apps:
  - key: alpha
    name: Alpha
    company: Alpha Inc.
    platforms: [phone]
    hosts: [alpha.example]
    source: https://alpha.example/privacy
`;

describe('the shipped app catalog', () => {
  const catalog = loadAppCatalog();

  it('has at least 100 apps, each with a public https source and hosts', () => {
    expect(catalog.apps.length).toBeGreaterThanOrEqual(100);
    for (const app of catalog.apps) {
      expect(app.source, app.key).toMatch(/^https:\/\//);
      expect(app.hosts.length, app.key).toBeGreaterThan(0);
    }
  });

  it.each([
    ['api22-normal-c-useast1a.tiktokv.com', 'tiktok'],
    ['i.instagram.com', 'instagram'],
    ['scontent-ams2-1.cdninstagram.com', 'instagram'],
    ['ipv4-c001-ams001-ix.1.oca.nflxvideo.net', 'netflix'],
    ['api-partner.spotify.com', 'spotify'],
    ['i.pinimg.com', 'pinterest'],
    ['rr3---sn-4g5e6nsz.googlevideo.com', 'youtube'],
    ['music.youtube.com', 'youtube-music'],
    ['mail.google.com', 'gmail'],
    ['g.whatsapp.net', 'whatsapp'],
    ['edge-mqtt.facebook.com', 'messenger'],
    ['www.facebook.com', 'facebook'],
    ['scontent.xx.fbcdn.net', 'facebook'],
    ['api.snapchat.com', 'snapchat'],
    ['api.twitter.com', 'x'],
    ['gql.reddit.com', 'reddit'],
    ['www.threads.net', 'threads'],
    ['scus.roku.com', 'roku'],
    ['lgtvsdp.com', 'lg-webos'],
    ['avs-alexa-na.amazon.com', 'alexa'],
    ['www.amazon.de', 'amazon-shopping'],
    ['atv-ps.amazon.com', 'prime-video'],
    ['api.temu.com', 'temu'],
    ['www.vinted.fr', 'vinted'],
    ['api.revolut.com', 'revolut'],
    ['ws.sonos.com', 'sonos'],
  ])('%s is %s', (name, key) => {
    expect(catalog.match(name)?.key).toBe(key);
  });

  it('does not claim ordinary names of the big platforms for one app', () => {
    for (const name of [
      'www.google.com',
      'www.apple.com',
      'amazon.com',
      'api.amazon.com',
      'example.org',
      'com',
    ]) {
      expect(catalog.match(name), name).toBeUndefined();
    }
  });

  it('knows iOS bundle ids', () => {
    expect(catalog.byBundleId('com.zhiliaoapp.musically')?.key).toBe('tiktok');
    expect(catalog.byBundleId('COM.BURBN.INSTAGRAM')?.key).toBe('instagram');
    expect(catalog.byBundleId('com.example.unknown')).toBeUndefined();
  });
});

describe('a malformed catalog is refused with file and line', () => {
  it('accepts a good file', () => {
    const catalog = loadAppCatalog(catalogDir({ 'a.yaml': GOOD }));
    expect(catalog.match('api.alpha.example')?.name).toBe('Alpha');
  });

  it('names the file and line of a YAML syntax error', () => {
    // A key written twice (line 4) is a YAML error, not a silent overwrite.
    const problems = problemsOf({
      'broken.yaml': GOOD.replace('    company:', '    name: Again\n    company:'),
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^blocklists\/apps\/broken\.yaml:4: YAML error: Map keys must be unique/);
  });

  it('names the line of each bad field and keeps checking', () => {
    const text = `apps:
  - key: Bad Key
    name: Beta
    company: Beta
    platforms: [phone, fridge]
    hosts: [beta.example, "*.beta.example", api.beta.example]
    source: http://beta.example
    colour: blue
`;
    const problems = problemsOf({ 'b.yaml': text });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^blocklists\/apps\/b\.yaml:2: app 'Bad Key': field 'key' must be lower-case/),
        expect.stringMatching(/^blocklists\/apps\/b\.yaml:5: .*unknown platform "fridge"/),
        expect.stringMatching(/^blocklists\/apps\/b\.yaml:6: .*"\*\.beta\.example", not a lower-case host/),
        expect.stringMatching(
          /^blocklists\/apps\/b\.yaml:6: .*api\.beta\.example, already covered by beta\.example/,
        ),
        expect.stringMatching(/^blocklists\/apps\/b\.yaml:7: .*field 'source' must be a public https/),
        expect.stringMatching(/^blocklists\/apps\/b\.yaml:8: .*unknown field 'colour'/),
      ]),
    );
  });

  it('refuses a missing field, naming the entry line', () => {
    const text = `apps:\n  - key: gamma\n    name: Gamma\n    platforms: [tv]\n    hosts: [gamma.example]\n    source: https://gamma.example\n`;
    expect(problemsOf({ 'c.yaml': text })).toEqual([
      "blocklists/apps/c.yaml:2: app 'gamma': field 'company' must be a non-empty string, got nothing",
    ]);
  });

  it('refuses a host or key claimed by two apps, naming both places', () => {
    const other = GOOD.replace('key: alpha', 'key: alpha2');
    const problems = problemsOf({ 'a.yaml': GOOD, 'b.yaml': other });
    expect(problems).toEqual([
      `blocklists/apps/b.yaml:2: app 'alpha2': host "alpha.example" is already claimed by app 'alpha' (blocklists/apps/a.yaml:2)`,
    ]);
    expect(
      problemsOf({ 'a.yaml': GOOD, 'b.yaml': GOOD.replace('alpha.example]', 'other.example]') })[0],
    ).toMatch(/key "alpha" is already claimed/);
  });

  it('refuses a file that is not an apps list', () => {
    expect(problemsOf({ 'd.yaml': 'apps: 3\n' })[0]).toMatch(/d\.yaml:1: field 'apps' must be a list/);
    expect(problemsOf({ 'e.yaml': 'app:\n  - key: x\n' })[0]).toMatch(
      /e\.yaml:1: unknown top-level field 'app'/,
    );
  });
});
