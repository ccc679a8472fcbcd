/**
 * How every Coffer process connects to NATS, from NATS_URL and NATS_CA_FILE.
 *
 * NATS_URL may carry the NATS user of the process (`nats://gateway:<password>@nats:4222`, as
 * `npm run coffer -- nats-config` prints them): nats.js 2.x ignores credentials inside a server
 * URL, so they become its `user`/`pass` options here and the servers are given without them.
 * A user's requests get their answers on an inbox of its own (`_INBOX_<user>.`), so the server's
 * permissions can let each user read its own answers and nobody else's. `tls://` (or a CA file)
 * means TLS is required, not merely taken when offered.
 */
import type { ConnectionOptions } from 'nats';

export interface NatsEndpoint {
  natsUrl: string;
  natsCaFile?: string | undefined;
}

export function natsConnectionOptions(endpoint: NatsEndpoint): ConnectionOptions {
  const urls = endpoint.natsUrl.split(',').map((each) => new URL(each.trim()));
  const withUser = urls.find((url) => url.username !== '');
  const requireTls = endpoint.natsCaFile !== undefined || urls.some((url) => url.protocol === 'tls:');
  const options: ConnectionOptions = { servers: urls.map((url) => `${url.protocol === 'tls:' ? 'tls' : 'nats'}://${url.host}`) };
  if (withUser) {
    options.user = decodeURIComponent(withUser.username);
    options.pass = decodeURIComponent(withUser.password);
    options.inboxPrefix = inboxPrefixOf(options.user);
  }
  if (requireTls) options.tls = endpoint.natsCaFile ? { caFile: endpoint.natsCaFile } : {};
  return options;
}

/** The reply inbox prefix of a NATS user (its permissions allow it to subscribe there only). */
export function inboxPrefixOf(user: string): string {
  return `_INBOX_${user.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
