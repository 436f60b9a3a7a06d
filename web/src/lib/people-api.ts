// People (a person owns devices; their profile applies to those without one) and the re-join of devices
// whose private MAC changed: typed wrappers for /api/people, /api/devices/:id/person and
// /api/rejoin-suggestions. Types come from server/api/schemas (type-only imports).
import { request, withQuery } from './http.js';
import type { Period } from '../../../server/api/schemas/common.js';
import type {
  DeviceOwner,
  Person,
  PersonCreateBody,
  PersonList,
  PersonUpdateBody,
  RejoinSuggestion,
  RejoinSuggestionList,
} from '../../../server/api/schemas/people.js';

export type { DeviceOwner, Person, RejoinSuggestion };

export const peopleApi = {
  list: (period: Period = '24h') => request<PersonList>('GET', withQuery('/api/people', { period })),
  create: (body: PersonCreateBody) => request<Person>('POST', '/api/people', body),
  update: (id: number, body: PersonUpdateBody) => request<Person>('PATCH', `/api/people/${id}`, body),
  remove: (id: number) => request<{ ok: true }>('DELETE', `/api/people/${id}`),
  ownerOf: (deviceId: number) => request<DeviceOwner>('GET', `/api/devices/${deviceId}/person`),
  setOwner: (deviceId: number, personId: number | null) =>
    request<DeviceOwner>('PUT', `/api/devices/${deviceId}/person`, { personId }),
  suggestions: () => request<RejoinSuggestionList>('GET', '/api/rejoin-suggestions'),
  join: (deviceId: number, intoId: number) =>
    request<{ ok: true }>('POST', '/api/rejoin-suggestions/join', { deviceId, intoId }),
  dismiss: (deviceId: number, intoId: number) =>
    request<{ ok: true }>('POST', '/api/rejoin-suggestions/dismiss', { deviceId, intoId }),
};

/** "Mum's phone" when the older device has a person, else the device's own name. */
export function lookalikeName(suggestion: RejoinSuggestion): string {
  const name = suggestion.candidate.name;
  return suggestion.person ? `${suggestion.person.name}’s ${name}` : name;
}
