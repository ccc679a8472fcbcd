import { natsConnectionOptions } from './nats-connection';

describe('NATS connection options', () => {
  it('connects without credentials or TLS options when NATS_URL names none', () => {
    expect(natsConnectionOptions({ natsUrl: 'nats://127.0.0.1:4222' })).toEqual({ servers: ['nats://127.0.0.1:4222'] });
  });

  it('takes the user and password out of the URL (nats.js ignores them there) and gives the user its own inbox', () => {
    expect(natsConnectionOptions({ natsUrl: 'nats://gateway:p%40ss@nats-1:4222,nats://gateway:p%40ss@nats-2:4222' })).toEqual({
      servers: ['nats://nats-1:4222', 'nats://nats-2:4222'],
      user: 'gateway',
      pass: 'p@ss',
      inboxPrefix: '_INBOX_gateway',
    });
  });

  it('requires TLS for tls:// and when a CA file is given', () => {
    expect(natsConnectionOptions({ natsUrl: 'tls://nats:4222' })).toMatchObject({ servers: ['tls://nats:4222'], tls: {} });
    expect(natsConnectionOptions({ natsUrl: 'nats://nats:4222', natsCaFile: '/etc/coffer/nats-ca.pem' })).toMatchObject({
      tls: { caFile: '/etc/coffer/nats-ca.pem' },
    });
  });
});
