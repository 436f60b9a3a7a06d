// Request/response types of the API, generated from the server's TypeBox schemas (api-schema.ts,
// `npm run gen:api`): the one source of truth. Type-only, apart from the enums' value lists.
import { CompanyPolicyValues, DeviceTypeValues, StatusNameValues, type CompanyPolicy } from './api-schema.js';

export type * from './api-schema.js';

/** The choices the UI offers, in the schemas' order (a value added on the server appears here too). */
export const DEVICE_TYPE_CHOICES = DeviceTypeValues;
export const STATUS_CHOICES = StatusNameValues;

/** Words for each company policy: a policy added on the server fails the compile until it has words. */
const COMPANY_POLICY_LABELS: Record<CompanyPolicy, string> = {
  'block-tracking': 'Block tracking',
  'block-everything': 'Block everything',
  allow: 'Allow',
};
export const COMPANY_POLICY_CHOICES: readonly { id: CompanyPolicy; label: string }[] =
  CompanyPolicyValues.map((id) => ({ id, label: COMPANY_POLICY_LABELS[id] }));
