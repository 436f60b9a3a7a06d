/** The shipped catalog validates, attributes by longest suffix, and renders its tracking list. */
import { describe, expect, it } from 'vitest';
import { parseList } from '../../../server/filter/parse.js';
import { emptyAttributionResult } from '../../../server/trackers/attribution.js';
import { loadCatalog } from '../../../server/trackers/catalog.js';

const catalog = loadCatalog();
const attribution = catalog.attribution();

function attribute(name: string) {
  const out = emptyAttributionResult();
  const matched = attribution.attribute(name, out);
  return {
    matched,
    company: catalog.company(out.companyId)?.key ?? null,
    category: catalog.category(out.categoryId)?.key ?? null,
    app: catalog.app(out.appId)?.key ?? null,
    tracking: out.tracking,
    dualUse: out.dualUse,
  };
}

describe('shipped catalog', () => {
  it('covers the companies the project promises', () => {
    const required = [
      'meta',
      'pinterest',
      'bytedance',
      'google',
      'amazon',
      'microsoft',
      'snap',
      'x',
      'criteo',
    ];
    required.push('appsflyer', 'adjust', 'branch', 'samsung', 'lg', 'roku', 'apple', 'vizio', 'comscore');
    required.push('quantcast', 'taboola', 'outbrain', 'yandex', 'hotjar', 'mixpanel', 'segment', 'amplitude');
    required.push('onesignal', 'unity', 'applovin', 'kochava', 'singular');
    for (const key of required) expect(catalog.company(key), key).toBeDefined();
    for (const key of ['facebook', 'instagram', 'whatsapp', 'messenger', 'tiktok', 'pinterest', 'youtube']) {
      expect(catalog.app(key), key).toBeDefined();
    }
    for (const key of ['google-search', 'linkedin', 'snapchat', 'x'])
      expect(catalog.app(key), key).toBeDefined();
    for (const key of ['advertising', 'analytics', 'social', 'telemetry', 'attribution', 'smart-tv-acr']) {
      expect(catalog.category(key), key).toBeDefined();
    }
  });

  it('gives every fact a public source and every endpoint a use', () => {
    for (const e of catalog.endpoints) {
      expect(e.source, e.domain).toMatch(/^https?:\/\//);
      expect(['tracking', 'dual-use']).toContain(e.use);
    }
    for (const a of catalog.apps) expect(a.source, a.key).toMatch(/^https?:\/\//);
    for (const r of catalog.publicResolvers) expect(r.source, r.domain).toMatch(/^https?:\/\//);
    expect(catalog.publicResolvers.map((r) => r.domain)).toContain('dns.google');
  });

  it('has unique, positive ids per kind', () => {
    for (const items of [catalog.companies, catalog.categories, catalog.apps]) {
      const ids = items.map((i) => i.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(Math.min(...ids)).toBeGreaterThan(0);
    }
  });
});

describe('attribution (longest suffix)', () => {
  it('attributes tracking endpoints to company and category', () => {
    expect(attribute('ct.pinterest.com')).toMatchObject({
      company: 'pinterest',
      category: 'advertising',
      tracking: true,
    });
    expect(attribute('analytics.tiktok.com')).toMatchObject({
      company: 'bytedance',
      category: 'advertising',
      tracking: true,
    });
    expect(attribute('region1.google-analytics.com')).toMatchObject({
      company: 'google',
      category: 'analytics',
      tracking: true,
    });
    expect(attribute('logs.roku.com')).toMatchObject({
      company: 'roku',
      category: 'telemetry',
      tracking: true,
    });
    expect(attribute('abc.appsflyer.com')).toMatchObject({
      company: 'appsflyer',
      category: 'attribution',
      tracking: true,
    });
  });

  it('attributes app domains to the app, without marking them as tracking', () => {
    expect(attribute('www.instagram.com')).toMatchObject({
      company: 'meta',
      app: 'instagram',
      category: 'social',
      tracking: false,
    });
    expect(attribute('i.pinimg.com')).toMatchObject({
      company: 'pinterest',
      app: 'pinterest',
      tracking: false,
    });
    expect(attribute('www.youtube.com')).toMatchObject({ company: 'google', app: 'youtube' });
  });

  it('marks dual-use endpoints and prefers the longest suffix', () => {
    expect(attribute('graph.facebook.com')).toMatchObject({
      company: 'meta',
      app: 'facebook',
      dualUse: true,
      tracking: true,
    });
    expect(attribute('s.pinimg.com')).toMatchObject({ company: 'pinterest', dualUse: true });
    expect(attribute('www.facebook.com')).toMatchObject({ app: 'facebook', dualUse: false, tracking: false });
    expect(attribute('myapp.app.link')).toMatchObject({ company: 'branch', dualUse: true });
  });

  it('matches whole labels only, ignores case and one trailing dot', () => {
    expect(attribute('notfacebook.com').matched).toBe(false);
    expect(attribute('CT.Pinterest.COM.')).toMatchObject({ company: 'pinterest', tracking: true });
  });

  it('finds nothing for unrelated names and resets the result', () => {
    const out = emptyAttributionResult();
    attribution.attribute('connect.facebook.net', out);
    expect(out.companyId).toBeGreaterThan(0);
    expect(attribution.attribute('www.no-such-company.example', out)).toBe(false);
    expect(out).toEqual(emptyAttributionResult());
    expect(attribute('example.com').matched).toBe(false);
    expect(attribute('com').matched).toBe(false);
    expect(attribute('').matched).toBe(false);
  });

  it('describes a name with objects for explain', () => {
    const d = catalog.describe('pixel.facebook.com');
    expect(d.company?.name).toBe('Meta Platforms');
    expect(d.endpoint?.use).toBe('tracking');
    expect(d.matchedDomain).toBe('pixel.facebook.com');
  });
});

describe('tracking list', () => {
  it('renders tracking endpoints (not dual-use) in a form the filter parses without errors', () => {
    const text = catalog.trackingListText();
    const parsed = parseList(text, { listId: 1, format: 'adblock' });
    const tracking = catalog.endpoints.filter((e) => e.use === 'tracking');
    expect(parsed.invalidCount).toBe(0);
    expect(parsed.entries).toBe(tracking.length);
    expect(text).toContain('||connect.facebook.net^');
    expect(text).not.toContain('||graph.facebook.com^');
    const resolvers = parseList(catalog.publicResolversListText(), { listId: 2, format: 'adblock' });
    expect(resolvers.entries).toBe(catalog.publicResolvers.length);
  });

  it('lists every domain of a company for "block everything"', () => {
    const domains = catalog.companyDomains('meta');
    expect(domains).toEqual(
      expect.arrayContaining(['instagram.com', 'whatsapp.net', 'connect.facebook.net']),
    );
    expect(domains).not.toContain('pinterest.com');
  });
});
