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

  constructor(private readonly context: RouteContext) {
    for (const raw of context.deps.devices?.list() ?? []) {
      const device = toDeviceBase(raw);
      this.deviceNames.set(device.id, device.name);
    }
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

  device(id: number): { id: number; name: string } | null {
    if (!id) return null;
    return { id, name: this.deviceNames.get(id) ?? `device ${id}` };
  }

  companyIdOfKey(key: string): number | null {
    return this.context.deps.catalog?.company(key)?.id ?? null;
  }
}
