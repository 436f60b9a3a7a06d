// Encrypted DNS on the Setup page: typed wrappers for /api/setup/encrypted-dns and the ClientID routes.
// Types come from server/api/schemas (type-only imports: no schema code reaches the bundle).
import { request } from './http.js';
import type { EncryptedDnsSetup } from '../../../server/api/schemas/encrypted-dns.js';

export type { EncryptedDnsSetup };
export type EncryptedDnsDevice = EncryptedDnsSetup['devices'][number];
export type ProfileProtocol = 'https' | 'tls';

const clientIdPath = (clientId: string) => `/api/setup/client-ids/${encodeURIComponent(clientId)}`;

export const encryptedDnsApi = {
  get: () => request<EncryptedDnsSetup>('GET', '/api/setup/encrypted-dns'),
  assign: (deviceId: number, clientId: string, move = false) =>
    request<{ ok: true }>('POST', '/api/setup/client-ids', { deviceId, clientId, ...(move ? { move } : {}) }),
  remove: (clientId: string) => request<{ ok: true }>('DELETE', clientIdPath(clientId)),
  link: (clientId: string, protocol: ProfileProtocol) =>
    request<{ url: string; expiresInSeconds: number; qrSvg: string }>(
      'POST',
      `${clientIdPath(clientId)}/link?protocol=${protocol}`,
    ),
  profileUrl: (clientId: string, protocol: ProfileProtocol) =>
    `${clientIdPath(clientId)}/profile.mobileconfig?protocol=${protocol}`,
};
