/**
 * Parses an iOS App Privacy Report (Settings → Privacy & Security → App Privacy Report → Save): NDJSON,
 * one JSON object per line. Apple describes the format in "Inspecting app activity data"
 * (https://developer.apple.com/documentation/network/inspecting-app-activity-data): objects whose `type`
 * is `access` record an app's use of data and sensors (camera, location, contacts …), objects whose
 * `type` is `networkActivity` record the domains an app contacted, with `bundleID`, `domain`,
 * `timeStamp`, `firstTimeStamp`, `hits`, `domainOwner`, `context` (the website, for in-app browsing) and
 * `initiatedType` (`AppInitiated` or `NonAppInitiated`).
 *
 * The file is checked whole before anything is stored: the first bad line rejects it with its line
 * number, so a truncated or edited file never half-imports. Objects of other types (a later iOS may add
 * some) are counted and skipped.
 */

export interface NetworkActivity {
  line: number;
  bundleId: string;
  domain: string;
  /** ms since epoch of this record. */
  time: number;
  /** ms since epoch the app first contacted the domain in the report's period. */
  firstTime: number;
  hits: number;
  domainOwner: string;
  context: string;
  initiatedType: string;
}

export interface DataAccess {
  line: number;
  bundleId: string;
  /** camera, microphone, location, contacts, photos … as iOS names it. */
  category: string;
  /** intervalBegin / intervalEnd. */
  kind: string;
  time: number;
}

export interface ParsedPrivacyReport {
  network: NetworkActivity[];
  access: DataAccess[];
  /** Objects of another `type`, skipped. */
  skipped: number;
  firstTime: number | null;
  lastTime: number | null;
}

export class PrivacyReportError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'PrivacyReportError';
  }
}

/** Host names and IP addresses as the report writes them (IPv6 with colons, no spaces or markup). */
const DOMAIN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$/;
const BUNDLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const MAX_TEXT = 512;

type Obj = Record<string, unknown>;

function field(obj: Obj, name: string, line: number, required: boolean): string {
  const value = obj[name];
  if (value === undefined || value === null) {
    if (required) throw new PrivacyReportError(line, `'${name}' is missing`);
    return '';
  }
  if (typeof value !== 'string')
    throw new PrivacyReportError(line, `'${name}' must be text, got ${typeof value}`);
  if (value.length > MAX_TEXT)
    throw new PrivacyReportError(line, `'${name}' is longer than ${MAX_TEXT} characters`);
  return value;
}

function timeField(obj: Obj, name: string, line: number, required: boolean): number | null {
  const text = field(obj, name, line, required);
  if (text === '') return null;
  const time = Date.parse(text);
  if (!Number.isFinite(time))
    throw new PrivacyReportError(line, `'${name}' is not a date: ${JSON.stringify(text.slice(0, 40))}`);
  return time;
}

function bundleOf(value: string, line: number, name: string): string {
  if (!BUNDLE_ID.test(value)) {
    throw new PrivacyReportError(
      line,
      `'${name}' is not an app bundle id: ${JSON.stringify(value.slice(0, 60))}`,
    );
  }
  return value;
}

function parseNetwork(obj: Obj, line: number): NetworkActivity {
  const domain = field(obj, 'domain', line, true);
  if (!DOMAIN.test(domain)) {
    throw new PrivacyReportError(line, `'domain' is not a host name: ${JSON.stringify(domain.slice(0, 60))}`);
  }
  const time = timeField(obj, 'timeStamp', line, true) as number;
  const hits = obj.hits === undefined ? 1 : obj.hits;
  if (typeof hits !== 'number' || !Number.isSafeInteger(hits) || hits < 0) {
    throw new PrivacyReportError(
      line,
      `'hits' must be a whole number of 0 or more, got ${JSON.stringify(hits)}`,
    );
  }
  return {
    line,
    bundleId: bundleOf(field(obj, 'bundleID', line, true), line, 'bundleID'),
    domain: domain.toLowerCase().replace(/\.$/, ''),
    time,
    firstTime: timeField(obj, 'firstTimeStamp', line, false) ?? time,
    hits,
    domainOwner: field(obj, 'domainOwner', line, false),
    context: field(obj, 'context', line, false),
    initiatedType: field(obj, 'initiatedType', line, false),
  };
}

function parseAccess(obj: Obj, line: number): DataAccess {
  const accessor = obj.accessor;
  if (accessor === null || typeof accessor !== 'object' || Array.isArray(accessor)) {
    throw new PrivacyReportError(line, `'accessor' must be an object with the app's identifier`);
  }
  return {
    line,
    bundleId: bundleOf(field(accessor as Obj, 'identifier', line, true), line, 'accessor.identifier'),
    category: field(obj, 'category', line, true),
    kind: field(obj, 'kind', line, false),
    time: timeField(obj, 'timeStamp', line, true) as number,
  };
}

export function parsePrivacyReport(text: string): ParsedPrivacyReport {
  const report: ParsedPrivacyReport = {
    network: [],
    access: [],
    skipped: 0,
    firstTime: null,
    lastTime: null,
  };
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new PrivacyReportError(line, `not JSON (${(error as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new PrivacyReportError(line, 'each line must be one JSON object');
    }
    const obj = value as Obj;
    const type = field(obj, 'type', line, true);
    let time: number;
    if (type === 'networkActivity') {
      const record = parseNetwork(obj, line);
      report.network.push(record);
      time = record.time;
    } else if (type === 'access') {
      const record = parseAccess(obj, line);
      report.access.push(record);
      time = record.time;
    } else {
      report.skipped++;
      return;
    }
    report.firstTime = report.firstTime === null ? time : Math.min(report.firstTime, time);
    report.lastTime = report.lastTime === null ? time : Math.max(report.lastTime, time);
  });
  if (report.network.length === 0 && report.access.length === 0) {
    throw new PrivacyReportError(
      0,
      'no App Privacy Report records found: save the report on the iPhone (Settings → Privacy & Security → App Privacy Report → Save) and choose that file',
    );
  }
  return report;
}
