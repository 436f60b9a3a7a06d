/**
 * `npm run explain -- <name> [--device ID] [--type A|AAAA|…] [--json]`: why tracksink blocks (or not) a
 * name. Loads the configuration, opens tracksink.db in the data directory, loads the lists from their
 * on-disk copies (never downloads), and prints every matching rule and list, the winner and why, and
 * the company / category / app behind the name.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Explanation } from '../filter/explain.js';
import { PolicyEngine } from '../filter/policy-engine.js';
import { ListManager } from '../lists/list-manager.js';
import { silentLogger } from '../logger.js';
import { CatalogRepo } from '../store/repos/catalog-repo.js';
import { GroupsRepo } from '../store/repos/groups-repo.js';
import { RulesRepo } from '../store/repos/rules-repo.js';
import { openConfigDb } from '../store/sqlite.js';
import { type Catalog, loadCatalog } from '../trackers/catalog.js';
import { loadSavedCompaniesDb } from '../trackers/companiesdb.js';

const QTYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  HTTPS: 65,
};

export interface ExplainArgs {
  name: string;
  deviceId: number;
  qtype: number;
  json: boolean;
}

export class UsageError extends Error {}

export function parseExplainArgs(argv: string[]): ExplainArgs {
  let name: string | null = null;
  let deviceId = 0;
  let qtype = 1;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--device' || arg === '--type') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      if (arg === '--device') {
        if (!/^\d+$/.test(value))
          throw new UsageError(`--device must be a device id (a number), got ${JSON.stringify(value)}`);
        deviceId = Number(value);
      } else {
        const type = QTYPES[value.toUpperCase()] ?? (/^\d+$/.test(value) ? Number(value) : undefined);
        if (type === undefined)
          throw new UsageError(`--type must be one of ${Object.keys(QTYPES).join(', ')} or a number`);
        qtype = type;
      }
    } else if (arg === '--json') json = true;
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (name === null) name = arg;
    else throw new UsageError(`one name at a time (got ${JSON.stringify(name)} and ${JSON.stringify(arg)})`);
  }
  if (name === null || name.trim() === '') throw new UsageError('give a name to explain');
  return { name, deviceId, qtype, json };
}

export interface ExplainResult {
  explanation: Explanation;
  attribution: {
    company: string | null;
    category: string | null;
    app: string | null;
    endpoint: string | null;
    use: string | null;
  };
  lists: { id: number; name: string; loaded: boolean; lastError: string | null }[];
}

/** Everything explain needs, from the data directory; no download, no network. */
export async function explainFromDataDir(dataDir: string, args: ExplainArgs): Promise<ExplainResult> {
  const dbPath = join(dataDir, 'tracksink.db');
  if (!existsSync(dbPath)) {
    throw new UsageError(
      `no tracksink.db in ${resolve(dataDir)}: start tracksink once (or set TRACKSINK_DATA_DIR)`,
    );
  }
  const db = openConfigDb(dbPath);
  try {
    const catalog = loadCatalog(undefined, {
      ids: new CatalogRepo(db),
      companiesDb: loadSavedCompaniesDb(dataDir),
    });
    const policy = new PolicyEngine({ attribution: catalog.attribution() });
    policy.setUserRules(new RulesRepo(db).list());
    // Group memberships decide which group-scoped rules and lists apply to --device.
    policy.setDeviceGroups(new GroupsRepo(db).memberships(true));
    const lists = new ListManager({
      db,
      dataDir,
      policy,
      catalog,
      logger: silentLogger,
      refreshHours: 24,
      offline: true,
    });
    await lists.start();
    const explanation = policy.explain(
      args.name,
      args.deviceId,
      args.qtype,
      (id, line) => lists.lineText(id, line) ?? undefined,
    );
    await lists.stop();
    return {
      explanation,
      attribution: describeAttribution(catalog, explanation.name),
      lists: lists
        .list()
        .filter((l) => l.enabled)
        .map((l) => ({ id: l.id, name: l.name, loaded: l.loaded, lastError: l.lastError })),
    };
  } finally {
    db.close();
  }
}

function describeAttribution(catalog: Catalog, name: string): ExplainResult['attribution'] {
  const d = catalog.describe(name);
  return {
    company: d.company
      ? `${d.company.name}${d.company.origin === 'companiesdb' ? ' (AdGuard companiesdb)' : ''}`
      : null,
    category: d.category?.name ?? null,
    app: d.app?.name ?? null,
    endpoint: d.endpoint ? `${d.endpoint.domain}: ${d.endpoint.what} (${d.endpoint.source})` : null,
    use: d.endpoint?.use ?? null,
  };
}

export function formatExplanation(result: ExplainResult): string {
  const { explanation: e, attribution: a } = result;
  const lines = [
    `${e.name}${e.deviceId ? ` (device ${e.deviceId})` : ''}: ${e.action.toUpperCase()} (${e.reason})`,
    `  ${e.why}`,
  ];
  lines.push('', e.matches.length === 0 ? 'No rule or list matches.' : 'Matches:');
  for (const m of e.matches) {
    const where =
      m.source === 'user-rule'
        ? `your rule ${m.ruleId}`
        : m.listName
          ? `${m.listName}${m.line ? `, line ${m.line}` : ''}`
          : m.source;
    const flags = [m.important ? 'important' : '', m.applies ? '' : 'does not apply here']
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${m.winner ? '→' : ' '} ${m.effect.padEnd(5)} ${where}${m.text ? `: ${m.text}` : ''}${flags ? ` [${flags}]` : ''}`,
    );
  }
  lines.push('', 'Attribution:');
  if (!a.company) lines.push('  unknown company');
  else {
    lines.push(`  company:  ${a.company}`);
    if (a.category) lines.push(`  category: ${a.category}`);
    if (a.app) lines.push(`  app:      ${a.app}`);
    if (a.endpoint)
      lines.push(
        `  endpoint: ${a.endpoint}`,
        `            ${a.use === 'dual-use' ? 'dual-use (blocking breaks the app)' : 'tracking (safe to block)'}`,
      );
    if (e.company && e.company.policy !== 'block-tracking') lines.push(`  policy:   ${e.company.policy}`);
  }
  const missing = result.lists.filter((l) => !l.loaded);
  if (missing.length > 0) {
    lines.push('', 'Lists without an on-disk copy (not considered):');
    for (const l of missing) lines.push(`  ${l.id} ${l.name}${l.lastError ? `: ${l.lastError}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let args: ExplainArgs;
  try {
    args = parseExplainArgs(process.argv.slice(2));
  } catch (error) {
    console.error(
      `explain: ${(error as Error).message}\nusage: npm run explain -- <name> [--device ID] [--type A] [--json]`,
    );
    process.exit(2);
  }
  try {
    const { config } = loadConfig();
    const result = await explainFromDataDir(config.dataDir, args);
    process.stdout.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : formatExplanation(result));
  } catch (error) {
    const prefix = error instanceof ConfigError ? 'tracksink' : 'explain';
    console.error(`${prefix}: ${(error as Error).message}`);
    process.exit(error instanceof UsageError || error instanceof ConfigError ? 2 : 1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
