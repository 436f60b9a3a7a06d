import { Type, type Static } from 'typebox';
import { Duration, Nullable } from './common.js';

export const PauseState = Type.Object({
  globalUntil: Nullable(Type.Integer({ description: 'Blocking is off for everyone until (ms)' })),
  devices: Type.Array(Type.Object({ id: Type.Integer(), until: Type.Integer() })),
});
export type PauseState = Static<typeof PauseState>;

export const PauseBody = Type.Object(
  {
    duration: Nullable(Duration),
    deviceId: Type.Optional(Type.Integer({ minimum: 1, description: 'Only this device; absent = everyone' })),
  },
  { additionalProperties: false, description: 'duration null resumes blocking now' },
);
export type PauseBody = Static<typeof PauseBody>;
