import { Type, type Static } from 'typebox';

export const Password = Type.String({ minLength: 8, maxLength: 1024, description: 'At least 8 characters' });

export const SetupBody = Type.Object(
  {
    password: Password,
    setupCode: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The one-time code tracksink printed at start-up (also in <dataDir>/setup-code.txt)',
    }),
  },
  { additionalProperties: false },
);
export type SetupBody = Static<typeof SetupBody>;

export const LoginBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

/** Login and setup answer with the CSRF token to send as header `x-csrf-token` on every change. */
export const SessionResponse = Type.Object({
  csrfToken: Type.String(),
  expiresAt: Type.Integer({ description: 'ms since the epoch' }),
});
export type SessionResponse = Static<typeof SessionResponse>;

export const AuthStatus = Type.Object({
  setupNeeded: Type.Boolean({ description: 'No password is set yet: show the first-run page' }),
  passwordFromConfig: Type.Boolean({
    description: 'The password comes from config/env and cannot be changed here',
  }),
  loggedIn: Type.Boolean(),
  csrfToken: Type.Union([Type.String(), Type.Null()], {
    description: 'The session’s CSRF token when logged in',
  }),
});
export type AuthStatus = Static<typeof AuthStatus>;

export const ChangePasswordBody = Type.Object(
  { current: Type.String({ minLength: 1, maxLength: 1024 }), password: Password },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;
