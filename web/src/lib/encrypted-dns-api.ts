// Encrypted DNS on the Setup page: typed wrappers for /api/setup/encrypted-dns and the ClientID routes.
// Routes and types come from the route table generated from the server's schemas (api-schema.ts).
import { call, routeUrl } from './api-client.js';
import type { EncryptedDnsSetup } from './api-schema.js';

export type { EncryptedDnsSetup };
export type EncryptedDnsDevice = EncryptedDnsSetup['devices'][number];
export type ProfileProtocol = 'https' | 'tls';

export const encryptedDnsApi = {
  get: () => call('GET /api/setup/encrypted-dns'),
  assign: (deviceId: number, clientId: string, move = false) =>
    call('POST /api/setup/client-ids', { body: { deviceId, clientId, ...(move ? { move } : {}) } }),
  remove: (clientId: string) => call('DELETE /api/setup/client-ids/{clientId}', { params: { clientId } }),
  link: (clientId: string, protocol: ProfileProtocol) =>
    call('POST /api/setup/client-ids/{clientId}/link', { params: { clientId }, query: { protocol } }),
  profileUrl: (clientId: string, protocol: ProfileProtocol) =>
    routeUrl('GET /api/setup/client-ids/{clientId}/profile.mobileconfig', {
      params: { clientId },
      query: { protocol },
    }),
};
