/**
 * Encrypted DNS on the Setup page: the listeners and their certificate, and per device its ClientIDs with
 * what to type on the phone (Android "Private DNS" host name, the DoH URL) and the Apple profile to
 * install. ClientIDs are one host-name label (devices/client-ids.ts).
 */
import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

export const CertificateSummary = Type.Object({
  source: Type.Union([Type.Literal('configured'), Type.Literal('self-signed'), Type.Literal('acme')]),
  /** SHA-256 of the certificate, "AB:CD:…": what to compare when a phone asks whether to trust it. */
  fingerprint256: Type.String(),
  subject: Type.String(),
  names: Type.Array(Type.String()),
  validFrom: Type.String(),
  validTo: Type.String(),
});

export const ClientIdSetup = Type.Object({
  clientId: Type.String(),
  /** What Android's Settings › Private DNS takes; null without tls.serverName (Android needs a name). */
  privateDnsHost: Nullable(Type.String()),
  /** DNS-over-HTTPS URL for browsers and Apple devices; null while HTTPS is off. */
  dohUrl: Nullable(Type.String()),
});

export const EncryptedDnsDevice = Type.Object({
  id: Type.Integer(),
  name: Nullable(Type.String()),
  clientIds: Type.Array(ClientIdSetup),
  /** A ClientID made from the device's name, to offer when it has none (null when the name gives none). */
  suggestedClientId: Nullable(Type.String()),
});

export const EncryptedDnsSetup = Type.Object({
  enabled: Type.Boolean(),
  serverName: Type.String(),
  dotPort: Nullable(Type.Integer()),
  httpsPort: Nullable(Type.Integer()),
  certificate: Nullable(CertificateSummary),
  /** Why DoT or HTTPS is off (a refused certificate, a port that could not be opened). */
  problems: Type.Array(Type.String()),
  devices: Type.Array(EncryptedDnsDevice),
});
export type EncryptedDnsSetup = Static<typeof EncryptedDnsSetup>;

export const ClientIdAssignBody = Type.Object({
  deviceId: Type.Integer({ minimum: 1 }),
  clientId: Type.String({ maxLength: 255 }),
  /** Take the ClientID from the device that has it (otherwise 409). */
  move: Type.Optional(Type.Boolean()),
});

export const ClientIdParams = Type.Object({ clientId: Type.String({ maxLength: 255 }) });

export const ProfileQuery = Type.Object({
  protocol: Type.Optional(Type.Union([Type.Literal('https'), Type.Literal('tls')])),
});

export const ProfileLink = Type.Object({
  /** A link the phone can open without logging in, valid for `expiresInSeconds`. */
  url: Type.String(),
  expiresInSeconds: Type.Integer(),
  /** The link as a QR code (SVG markup) to scan with the phone's camera. */
  qrSvg: Type.String(),
});

export const ProfileTokenParams = Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' }) });
