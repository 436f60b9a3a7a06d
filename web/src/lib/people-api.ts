// People (a person owns devices; their profile applies to those without one) and the re-join of devices
// whose private MAC changed: typed wrappers for /api/people, /api/devices/:id/person and
// /api/rejoin-suggestions. Routes and types come from the route table generated from the server's
// schemas (api-schema.ts).
import { call } from './api-client.js';
import type {
  DeviceOwner,
  Period,
  Person,
  PersonCreateBody,
  PersonUpdateBody,
  RejoinSuggestion,
} from './api-schema.js';

export type { DeviceOwner, Person, RejoinSuggestion };

export const peopleApi = {
  list: (period: Period = '24h') => call('GET /api/people', { query: { period } }),
  create: (body: PersonCreateBody) => call('POST /api/people', { body }),
  update: (id: number, body: PersonUpdateBody) => call('PATCH /api/people/{id}', { params: { id }, body }),
  remove: (id: number) => call('DELETE /api/people/{id}', { params: { id } }),
  ownerOf: (deviceId: number) => call('GET /api/devices/{id}/person', { params: { id: deviceId } }),
  setOwner: (deviceId: number, personId: number | null) =>
    call('PUT /api/devices/{id}/person', { params: { id: deviceId }, body: { personId } }),
  suggestions: () => call('GET /api/rejoin-suggestions'),
  join: (deviceId: number, intoId: number) =>
    call('POST /api/rejoin-suggestions/join', { body: { deviceId, intoId } }),
  dismiss: (deviceId: number, intoId: number) =>
    call('POST /api/rejoin-suggestions/dismiss', { body: { deviceId, intoId } }),
};

/** "Mum's phone" when the older device has a person, else the device's own name. */
export function lookalikeName(suggestion: RejoinSuggestion): string {
  const name = suggestion.candidate.name;
  return suggestion.person ? `${suggestion.person.name}’s ${name}` : name;
}
