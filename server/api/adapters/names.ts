/** Turns the ids the query log stores into what people read: company/category/app and device names. */
import type { RouteContext } from '../context.js';
import type { CompanyRef } from '../schemas/common.js';
import { toDeviceBase } from './devices-adapter.js';

/** The owner the catalog names beside the brand, when it differs from the brand. */
function ownerOf(company: { name: string; owner?: string | null }): string | null {
  const owner = company.owner ?? null;
  return owner !== null && owner !== company.name ? owner : null;
}

export class NameResolver {
  private readonly deviceNames = new Map<number, string>();
  /** Merged device ids → the device they became (the query log keeps the old id on its rows). */
  private readonly deviceAliases: ReadonlyMap<number, number>;
  private readonly deviceTypes = new Map<number, string>();

  constructor(private readonly context: RouteContext) {
    for (const raw of context.deps.devices?.list() ?? []) {
      const device = toDeviceBase(raw);
      this.deviceNames.set(device.id, device.name);
      this.deviceTypes.set(device.id, device.type);
    }
    this.deviceAliases = context.deps.devices?.aliases() ?? new Map();
  }

  /** "phone", "tv" …, or null for an unknown device. */
  deviceType(id: number): string | null {
    return this.deviceTypes.get(id) ?? null;
  }

  company(id: number): CompanyRef | null {
    if (!id) return null;
    const company = this.context.deps.catalog?.company(id);
    return company
      ? { id: company.id, key: company.key, name: company.name, owner: ownerOf(company) }
      : { id, key: String(id), name: `company ${id}`, owner: null };
  }

  category(id: number): { id: number; key: string; name: string } | null {
    if (!id) return null;
    const category = this.context.deps.catalog?.category(id);
    return category
      ? { id, key: category.key, name: category.name }
      : { id, key: String(id), name: `category ${id}` };
  }

  app(id: number): { id: number; key: string; name: string; companyKey: string | null } | null {
    if (!id) return null;
    const app = this.context.deps.catalog?.app(id);
    return app
      ? { id, key: app.key, name: app.name, companyKey: app.companyKey }
      : { id, key: String(id), name: `app ${id}`, companyKey: null };
  }

  /** A logged device id as people see it: a merged id names (and links to) the device it became. */
  device(id: number): { id: number; name: string } | null {
    if (!id) return null;
    const live = this.deviceNames.has(id) ? id : (this.deviceAliases.get(id) ?? id);
    return { id: live, name: this.deviceNames.get(live) ?? `device ${live}` };
  }

  /**
   * Per-device rows of a ranking with merged ids folded into the device they became (their counts
   * added up, first place kept), each with its name: one row per device, as the dashboard keys them.
   */
  deviceRows<T extends { deviceId: number }>(rows: readonly T[]): Array<T & { id: number; name: string }> {
    const out: Array<T & { id: number; name: string }> = [];
    const byId = new Map<number, T & { id: number; name: string }>();
    for (const row of rows) {
      const device = this.device(row.deviceId) ?? { id: row.deviceId, name: `device ${row.deviceId}` };
      const seen = byId.get(device.id);
      if (seen === undefined) {
        const entry = { ...row, deviceId: device.id, id: device.id, name: device.name };
        byId.set(device.id, entry);
        out.push(entry);
        continue;
      }
      for (const key of Object.keys(row) as Array<keyof T>) {
        const value = row[key];
        if (key !== 'deviceId' && typeof value === 'number' && typeof seen[key] === 'number') {
          (seen[key] as number) += value;
        }
      }
    }
    return out;
  }

  companyIdOfKey(key: string): number | null {
    return this.context.deps.catalog?.company(key)?.id ?? null;
  }
}
