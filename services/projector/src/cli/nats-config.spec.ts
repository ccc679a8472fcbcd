import { accountOf, ANALYTICS_MAX_CONSUMERS, COMPOSE_NATS_OPTIONS, NATS_USERS, natsServerConfig, permissionsOf } from './nats-config';

describe('nats-config', () => {
  const made = natsServerConfig({ ...COMPOSE_NATS_OPTIONS, prefix: 'coffer' });

  it('gives each component a user of its own with a password of its own', () => {
    const passwords = Object.values(made.passwords);
    expect(new Set(passwords).size).toBe(NATS_USERS.length);
    for (const user of NATS_USERS) {
      expect(passwords.every((password) => /^[A-Za-z0-9_-]{32}$/.test(password))).toBe(true);
      expect(made.conf).toContain(`{ user: "${user}", password: "${made.passwords[user]}",`);
      expect(made.env[user]).toContain(`NATS_URL=tls://${user}:${made.passwords[user]}@nats:4222\n`);
      expect(made.env[user]).toContain('NATS_CA_FILE=/etc/coffer/nats-ca.pem\n');
    }
  });

  it('runs TLS and JetStream in an account of its own', () => {
    expect(made.conf).toMatch(/tls \{\n {2}cert_file: "\/etc\/nats\/tls\/server-cert.pem"\n {2}key_file: "\/etc\/nats\/tls\/server-key.pem"/);
    expect(made.conf).toMatch(/accounts \{\n {2}COFFER \{\n {4}jetstream: enabled/);
    expect(made.conf).toContain('http_port: 8222');
  });

  it("puts analytics alone in an account with one stream (the feed's mirror) and a bounded number of consumers", () => {
    expect(NATS_USERS.filter((user) => accountOf(user) === 'ANALYTICS')).toEqual(['analytics']);
    expect(made.conf).toContain(`ANALYTICS {\n    jetstream: { max_mem: -1, max_file: -1, max_streams: 1, max_consumers: ${ANALYTICS_MAX_CONSUMERS} }`);
    // The projector is told where to make the mirror; no one else is.
    expect(NATS_USERS.filter((user) => made.env[user].includes('COFFER_FEED_MIRROR_ACCOUNT='))).toEqual(['projector']);
    expect(made.env.projector).toContain('COFFER_FEED_MIRROR_ACCOUNT=ANALYTICS\n');
    // The services' account shares with analytics' only what the mirror follows the feed with.
    const exports = made.conf.slice(made.conf.indexOf('COFFER {'), made.conf.indexOf('ANALYTICS {')).match(/\{ (service|stream): "[^"]+"/g);
    expect(exports).toEqual([
      '{ service: "$JS.API.CONSUMER.CREATE.COFFER_EVENTS"',
      '{ service: "$JS.API.CONSUMER.CREATE.COFFER_EVENTS.>"',
      '{ service: "$JS.FC.COFFER_EVENTS.>"',
      '{ stream: "coffer.feed-mirror.>"',
    ]);
    expect(permissionsOf('coffer').analytics.publish.some((subject) => subject.startsWith('$JS.COFFER.') || subject.startsWith('$JS.FC.'))).toBe(false);
  });

  it('lets only the gateway and the achievements service (for rewards) publish on command subjects', () => {
    const permissions = permissionsOf('coffer');
    const publishers = (subject: string) => NATS_USERS.filter((user) => permissions[user].publish.includes(subject));
    expect(publishers('coffer.ledger.*.commands')).toEqual(['gateway', 'achievements']);
    expect(publishers('coffer.ledger.*.commands.*')).toEqual(['gateway', 'achievements']);
    expect(publishers('coffer.ledger.*.queries')).toEqual(['gateway']);
    expect(publishers('coffer.ledger.*.queries.*')).toEqual(['gateway']);
    // Announcing the writer routes the others' commands: the ledger alone may.
    expect(publishers('coffer.ledger.*.writer')).toEqual(['ledger']);
    expect(publishers('coffer.achievements.*.commands')).toEqual(['gateway']);
    expect(publishers('coffer.events.>')).toEqual(['projector']);
  });

  it('lets each user read only its own replies, and the analytics user nothing but its consumers', () => {
    const permissions = permissionsOf('coffer');
    for (const user of NATS_USERS) {
      const inboxes = permissions[user].subscribe.filter((subject) => subject.startsWith('_INBOX'));
      expect(inboxes).toEqual([`_INBOX_${user}.>`]);
    }
    expect(permissions.analytics.subscribe).toEqual(['_INBOX_analytics.>']);
    const onTheFeed = (subject: string) =>
      subject === '$JS.API.INFO' ||
      subject === '$JS.API.STREAM.INFO.COFFER_EVENTS' ||
      (subject.startsWith('$JS.API.CONSUMER.') && subject.includes('.COFFER_EVENTS')) ||
      subject === '$JS.ACK.COFFER_EVENTS.>';
    expect(permissions.analytics.publish.filter((subject) => !onTheFeed(subject))).toEqual([]);
    expect(permissions.analytics.publish.some((subject) => /STREAM\.(CREATE|DELETE|UPDATE|PURGE)/.test(subject))).toBe(false);
  });
});
