/**
 * Apple configuration profiles (.mobileconfig) that set a device's DNS to tracksink's encrypted DNS with
 * its ClientID: one com.apple.dnsSettings.managed payload (DNSProtocol HTTPS with ServerURL
 * …/dns-query/<clientid>, or TLS with ServerName <clientid>.<domain>), plus, while tracksink serves a
 * self-signed certificate, that certificate as a com.apple.security.root payload so the phone can be told
 * to trust it (Settings › General › About › Certificate Trust Settings). UUIDs are derived from the
 * ClientID and the server, so installing the profile again replaces it rather than adding a second one.
 */
import { X509Certificate, createHash } from 'node:crypto';

export type ProfileProtocol = 'HTTPS' | 'TLS';

export interface AppleProfileInput {
  clientId: string;
  protocol: ProfileProtocol;
  /** HTTPS: https://host[:port]/dns-query/<clientid>. */
  serverUrl: string;
  /** TLS: <clientid>.<domain>. */
  serverName: string | null;
  /** Addresses to reach the server by when its name does not resolve (no domain configured). */
  serverAddresses: string[];
  /** The PEM certificate when it is self-signed (trusted by the profile), else null. */
  selfSignedPem: string | null;
}

function uuidFrom(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  // RFC 4122 layout, version 5-like (name-based) bits.
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `5${hex.slice(13, 16)}`,
    ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16) + hex.slice(18, 20),
    hex.slice(20, 32),
  ]
    .join('-')
    .toUpperCase();
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const string = (key: string, value: string): string => `<key>${xml(key)}</key><string>${xml(value)}</string>`;

export function appleProfile(input: AppleProfileInput): string {
  const { clientId, protocol } = input;
  const server = protocol === 'HTTPS' ? input.serverUrl : (input.serverName ?? '');
  const dnsUuid = uuidFrom('dns', clientId, server);
  const settings = [
    string('DNSProtocol', protocol),
    protocol === 'HTTPS' ? string('ServerURL', input.serverUrl) : string('ServerName', server),
  ];
  if (input.serverAddresses.length > 0) {
    settings.push(
      `<key>ServerAddresses</key><array>${input.serverAddresses.map((a) => `<string>${xml(a)}</string>`).join('')}</array>`,
    );
  }
  const payloads = [
    `<dict>
      <key>DNSSettings</key><dict>${settings.join('')}</dict>
      ${string('PayloadDescription', `Sends this device's DNS to tracksink, encrypted, as "${clientId}".`)}
      ${string('PayloadDisplayName', `tracksink encrypted DNS (${clientId})`)}
      ${string('PayloadIdentifier', `com.apple.dnsSettings.managed.${dnsUuid}`)}
      ${string('PayloadType', 'com.apple.dnsSettings.managed')}
      ${string('PayloadUUID', dnsUuid)}
      <key>PayloadVersion</key><integer>1</integer>
      <key>ProhibitDisablement</key><false/>
    </dict>`,
  ];
  if (input.selfSignedPem !== null) {
    const der = new X509Certificate(input.selfSignedPem).raw.toString('base64');
    const certUuid = uuidFrom('certificate', der);
    payloads.push(`<dict>
      ${string('PayloadCertificateFileName', 'tracksink.cer')}
      <key>PayloadContent</key><data>${der}</data>
      ${string('PayloadDisplayName', 'tracksink (self-signed certificate)')}
      ${string('PayloadIdentifier', `com.apple.security.root.${certUuid}`)}
      ${string('PayloadType', 'com.apple.security.root')}
      ${string('PayloadUUID', certUuid)}
      <key>PayloadVersion</key><integer>1</integer>
    </dict>`);
  }
  const profileUuid = uuidFrom('profile', clientId, server);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    ${payloads.join('\n    ')}
  </array>
  ${string('PayloadDescription', `Encrypted DNS through tracksink for the device "${clientId}".`)}
  ${string('PayloadDisplayName', `tracksink: ${clientId}`)}
  ${string('PayloadIdentifier', `tracksink.dns.${clientId}`)}
  <key>PayloadRemovalDisallowed</key><false/>
  ${string('PayloadType', 'Configuration')}
  ${string('PayloadUUID', profileUuid)}
  <key>PayloadVersion</key><integer>1</integer>
</dict>
</plist>
`;
}
