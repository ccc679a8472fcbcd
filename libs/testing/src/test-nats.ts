import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';

export function testNatsUrl(): string {
  return process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
}

/** A NATS subject prefix of the test's own, so parallel tests never hear each other. */
export function testNatsPrefix(label = 't'): string {
  return `${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
}

/** Deletes every JetStream stream whose name starts with the prefix's stream prefix. */
export async function dropTestStreams(prefix: string): Promise<void> {
  const nc: NatsConnection = await connect({ servers: testNatsUrl() });
  try {
    const jsm = await nc.jetstreamManager();
    const upper = prefix.toUpperCase().replace(/-/g, '_');
    for await (const info of jsm.streams.list()) {
      if (info.config.name.startsWith(upper)) await jsm.streams.delete(info.config.name);
    }
  } finally {
    await nc.close();
  }
}

const SERVICE_KEY_ID = 'test';
let serviceKeySecret: string | undefined;

/**
 * The COFFER_SERVICE_KEY of this test process: the services a harness starts and the clients
 * that play the gateway sign with it. Random per process, so no key in the repository is valid.
 */
export function testServiceKey(): string {
  return `${SERVICE_KEY_ID}:${testServiceKeys()[0].secret}`;
}

/** The same key as a ServiceKeyring takes it. */
export function testServiceKeys(): Array<{ id: string; secret: string }> {
  serviceKeySecret ??= randomBytes(32).toString('base64url');
  return [{ id: SERVICE_KEY_ID, secret: serviceKeySecret }];
}
