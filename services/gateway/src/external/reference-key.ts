/**
 * The deployment's reference key: what the gateway keys the hash of an external account's
 * reference with (HMAC-SHA256), before anything leaves it.
 *
 * Why keyed: a reference (an IBAN, an e-mail) is personal data with little entropy; a plain
 * SHA-256 of it could be reversed by hashing every account number of a bank, by anyone who reads
 * the store. Without this key, a hash in the store says nothing. Why a key of its own, not the
 * service key: service keys rotate, and a rotated key would give the same account another hash
 * (the same account could then be linked twice). It is generated at the first link and kept in
 * PostgreSQL (coffer_platform.reference_keys), inside the trust boundary as the service key is
 * (README, "Trust model"); it is never logged.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { underSchemaLock } from '@coffer/event-store';
import { referenceLast4 } from '@coffer/contracts';
import { ApiError } from '../http/api-error';
import { DB_POOL } from '../tokens';

/** What of a reference the gateway sends on: its last 4 characters and its keyed hash. */
export interface ReferenceDigest {
  reference_hash: string;
  reference_last4: string;
}

@Injectable()
export class ReferenceKey {
  private key: Promise<Buffer> | undefined;

  constructor(@Inject(DB_POOL) private readonly pool: Pool) {}

  async digest(reference: string): Promise<ReferenceDigest> {
    const key = await this.load();
    return { reference_hash: createHmac('sha256', key).update(reference, 'utf8').digest('hex'), reference_last4: referenceLast4(reference) };
  }

  /** Loaded once; a failure (the database away) is not kept, so the next request tries again. */
  private load(): Promise<Buffer> {
    this.key ??= this.stored().catch(() => {
      this.key = undefined;
      throw new ApiError('UNAVAILABLE', 'the reference key cannot be read now: retry shortly');
    });
    return this.key;
  }

  private async stored(): Promise<Buffer> {
    const client = await this.pool.connect();
    try {
      return await underSchemaLock(client, 'coffer:reference-keys', async (locked) => {
        await locked.query('CREATE SCHEMA IF NOT EXISTS coffer_platform');
        await locked.query(
          `CREATE TABLE IF NOT EXISTS coffer_platform.reference_keys (
             key_id smallint PRIMARY KEY,
             secret bytea NOT NULL,
             created_at timestamptz NOT NULL DEFAULT now())`,
        );
        await locked.query('INSERT INTO coffer_platform.reference_keys (key_id, secret) VALUES (1, $1) ON CONFLICT (key_id) DO NOTHING', [randomBytes(32)]);
        const { rows } = await locked.query<{ secret: Buffer }>('SELECT secret FROM coffer_platform.reference_keys WHERE key_id = 1');
        return rows[0].secret;
      });
    } finally {
      client.release();
    }
  }
}
