/**
 * Admin tokens with roles (API.md "Operators: console, roles, audit"): created, listed and
 * deleted by an admin, each a bearer token shown once and kept only as its SHA-256.
 *
 * Where they live: a table of the gateway's own schema (coffer_gateway, beside the generated
 * admin token's hash), not the event store. A token is the gateway's concern alone (no writer
 * decides anything by it), and a deleted one must stop working at once on every gateway: a
 * primary-key lookup per /admin request gives that with no subscription to keep in step, where
 * events would need a ledger command, its state, snapshot and a tail in every gateway. What the
 * audit needs is kept here too: who created each token and who deleted it, and when (a deleted
 * token's row stays, so "which token was adm_… and whose was it" has an answer forever); and
 * every command a token sends carries its id into the events it causes (admin_token_id).
 */
import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { MAX_ADMIN_TOKENS, type AdminRole } from '@coffer/contracts';
import { createUnderLock } from '@coffer/event-store';
import { ApiError } from '../http/api-error';
import { DB_POOL } from '../tokens';
import { sha256Hex } from './api-keys';

const TABLE = 'coffer_gateway.admin_tokens';

export interface AdminTokenRow {
  token_id: string;
  name: string;
  role: AdminRole;
  created_at: string;
  created_by: string;
}

/** Who holds a presented admin token. */
export interface AdminIdentity {
  token_id: string;
  role: AdminRole;
}

/** `cadm_` + 32 random bytes, as the generated admin token (admin-token.ts). */
export function generateAdminToken(): string {
  return `cadm_${randomBytes(32).toString('base64url')}`;
}

function generateTokenId(): string {
  return `adm_${randomBytes(12).toString('hex')}`;
}

const COLUMNS = `token_id, name, role, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at, created_by`;

@Injectable()
export class AdminTokens {
  private ready: Promise<void> | undefined;

  constructor(@Inject(DB_POOL) private readonly pool: Pool) {}

  /** The live token whose hash this is, or null (deleted, or never issued). Looked up on every request: deletion is immediate. */
  async identify(presented: string): Promise<AdminIdentity | null> {
    await this.ensureTable();
    const { rows } = await this.pool.query<AdminIdentity>(`SELECT token_id, role FROM ${TABLE} WHERE token_hash = $1 AND deleted_at IS NULL`, [
      sha256Hex(presented),
    ]);
    return rows[0] ?? null;
  }

  /**
   * A new token; its secret is in the answer only. At most MAX_ADMIN_TOKENS live: counted and
   * inserted under one advisory lock, so two gateways creating at once cannot pass the bound.
   */
  async create(name: string, role: AdminRole, createdBy: string): Promise<AdminTokenRow & { token: string }> {
    await this.ensureTable();
    const token = generateAdminToken();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('coffer-gateway:admin-tokens'))`);
      const live = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${TABLE} WHERE deleted_at IS NULL`);
      if (live.rows[0].n >= MAX_ADMIN_TOKENS) {
        throw new ApiError('LIMIT_EXCEEDED', `at most ${MAX_ADMIN_TOKENS} admin tokens may be live: delete one first`, { limit: MAX_ADMIN_TOKENS });
      }
      const { rows } = await client.query<AdminTokenRow>(
        `INSERT INTO ${TABLE} (token_id, name, role, token_hash, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [generateTokenId(), name, role, sha256Hex(token), createdBy],
      );
      await client.query('COMMIT');
      return { ...rows[0], token };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The live tokens, oldest first (at most MAX_ADMIN_TOKENS: no paging needed). */
  async list(): Promise<AdminTokenRow[]> {
    await this.ensureTable();
    const { rows } = await this.pool.query<AdminTokenRow>(
      `SELECT ${COLUMNS} FROM ${TABLE} WHERE deleted_at IS NULL ORDER BY created_at, token_id LIMIT ${MAX_ADMIN_TOKENS}`,
    );
    return rows;
  }

  /** Deletes a live token (false: no live token has this id). Its row stays, marked, for the audit. */
  async delete(tokenId: string, deletedBy: string): Promise<boolean> {
    await this.ensureTable();
    const { rowCount } = await this.pool.query(`UPDATE ${TABLE} SET deleted_at = now(), deleted_by = $2 WHERE token_id = $1 AND deleted_at IS NULL`, [
      tokenId,
      deletedBy,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /** Gateways start together: created once, under the advisory lock that keeps CREATE … IF NOT EXISTS from racing. */
  private ensureTable(): Promise<void> {
    this.ready ??= createUnderLock(this.pool, 'coffer-gateway:admin-tokens', [
      'CREATE SCHEMA IF NOT EXISTS coffer_gateway',
      `CREATE TABLE IF NOT EXISTS ${TABLE} (
         token_id text PRIMARY KEY,
         name text NOT NULL,
         role text NOT NULL CHECK (role IN ('auditor', 'operator', 'admin')),
         token_hash text NOT NULL UNIQUE,
         created_at timestamptz NOT NULL DEFAULT now(),
         created_by text NOT NULL,
         deleted_at timestamptz,
         deleted_by text)`,
    ]).catch((error: unknown) => {
      this.ready = undefined; // the database was away: the next request tries again
      throw error;
    });
    return this.ready;
  }
}
