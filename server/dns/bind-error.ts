/** Turns a failed bind into an error that says which port, why, and how to fix it. */

export function describeBindError(
  error: unknown,
  protocol: 'UDP' | 'TCP' | 'DNS-over-TLS' | 'HTTPS',
  address: string,
  port: number,
  /** The setting that moves this listener (encrypted DNS has its own ports). */
  setting = 'TRACKSINK_DNS_PORT / dns.port',
): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${protocol} ${address}:${port}`;
  if (code === 'EADDRINUSE' && (protocol === 'HTTPS' || protocol === 'DNS-over-TLS')) {
    return new Error(
      `cannot listen on ${where}: the port is already in use (another tracksink, AdGuard Home or a web ` +
        `server?). Stop it, or pick another port with ${setting}.`,
      { cause: error },
    );
  }
  if (code === 'EADDRINUSE') {
    return new Error(
      `cannot listen for DNS on ${where}: the port is already in use, usually by another DNS server ` +
        `(systemd-resolved, dnsmasq, Pi-hole, AdGuard Home). Free it (e.g. ` +
        `"sudo systemctl disable --now systemd-resolved", or stop dnsmasq), or pick another port with ${setting}.`,
      { cause: error },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new Error(
      `cannot listen for DNS on ${where}: permission denied. Ports below 1024 need root or ` +
        `CAP_NET_BIND_SERVICE: "sudo setcap cap_net_bind_service=+ep $(which node)", or use a port ` +
        `above 1023 with ${setting}.`,
      { cause: error },
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new Error(
      `cannot listen for DNS on ${where}: no network interface has the address ${address}. ` +
        `Set TRACKSINK_BIND / dns.bind to an address of this machine, or 0.0.0.0 (or ::) for all.`,
      { cause: error },
    );
  }
  return new Error(`cannot listen for DNS on ${where}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}
