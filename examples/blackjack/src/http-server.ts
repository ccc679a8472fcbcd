/**
 * The players' HTTP API, on plain node:http (a handful of routes need no framework):
 *
 *   POST /rounds                  {"player": "...", "bet": 30}  start a round: bet and deal
 *   GET  /rounds/:id              the round as it stands
 *   POST /rounds/:id/hit          one more card
 *   POST /rounds/:id/stand        the dealer plays; the round settles
 *   GET  /players/:player/balance the player's coins, from Coffer
 *   POST /coffer/webhooks         Coffer's signed deliveries (once a webhook is registered)
 *
 * Errors come in Coffer's shape, `{error: {code, message, details}}`: the table's own, and
 * Coffer's refusals passed through with their code. A Coffer that cannot be reached is a 503,
 * never a 500.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CofferError, InvalidArgumentError, NetworkError, UnavailableError } from '@coffer/sdk';
import { GameError } from './errors';
import type { Table } from './table';
import type { WebhookReceiver } from './webhook-receiver';

/** A player's request is a few dozen bytes; a Coffer delivery a few hundred. */
const MAX_JSON_BODY = 4 * 1024;
const MAX_WEBHOOK_BODY = 64 * 1024;
/** A client that sends its request slower than this is cut off. */
const REQUEST_TIMEOUT_MS = 15_000;

export interface GameServerOptions {
  table: Table;
  /** Absent, or without a secret: POST /coffer/webhooks answers 404 (nothing to verify deliveries with). */
  webhooks?: WebhookReceiver;
  log?: (line: string) => void;
}

type Handler = (request: IncomingMessage, params: string[]) => Promise<[number, unknown]>;

export function createGameServer(options: GameServerOptions): Server {
  const { table, webhooks } = options;
  const log = options.log ?? ((line: string) => console.log(line));

  const routes: Array<[string, RegExp, Handler]> = [
    ['POST', /^\/rounds$/, async (request) => {
      const body = await readJson(request);
      return [201, await table.start(body.player, body.bet)];
    }],
    ['GET', /^\/rounds\/([^/]+)$/, async (_request, [id]) => [200, table.show(id)]],
    ['POST', /^\/rounds\/([^/]+)\/hit$/, async (_request, [id]) => [200, await table.hit(id)]],
    ['POST', /^\/rounds\/([^/]+)\/stand$/, async (_request, [id]) => [200, await table.stand(id)]],
    ['GET', /^\/players\/([^/]+)\/balance$/, async (_request, [player]) => [200, await table.balance(decodePathSegment(player))]],
    ['POST', /^\/coffer\/webhooks$/, async (request) => {
      if (!webhooks?.enabled) throw new GameError(404, 'NOT_FOUND', 'webhooks are off: no webhook is registered for this table');
      const signature = request.headers['coffer-signature'];
      await webhooks.receive(await readBody(request, MAX_WEBHOOK_BODY), Array.isArray(signature) ? signature[0] : signature);
      return [204, undefined];
    }],
  ];

  const server = createServer(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    try {
      const matching = routes.filter(([, pattern]) => pattern.test(path));
      if (matching.length === 0) throw new GameError(404, 'NOT_FOUND', `no route ${path.slice(0, 100)}`);
      const route = matching.find(([method]) => method === request.method);
      if (!route) throw new GameError(405, 'METHOD_NOT_ALLOWED', `${path.slice(0, 100)} takes ${matching.map(([m]) => m).join(', ')}`);
      const [status, body] = await route[2](request, route[1].exec(path)!.slice(1));
      send(response, status, body);
    } catch (error) {
      const [status, body] = errorReply(error);
      if (status >= 500) log(`${request.method} ${path}: ${status} ${describe(error)}`);
      send(response, status, body);
    }
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  return server;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

/** The request's bytes, refused past `limit` without reading the rest. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (declared > limit) {
      // Discarded, not read: the server's request timeout bounds how long that may take.
      request.resume();
      return reject(tooLarge(limit));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.resume();
        reject(tooLarge(limit));
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readBody(request, MAX_JSON_BODY)).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new GameError(400, 'MALFORMED_JSON', 'the body must be JSON: {"player": "...", "bet": 30}');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GameError(400, 'VALIDATION_FAILED', 'the body must be a JSON object: {"player": "...", "bet": 30}');
  }
  return body as Record<string, unknown>;
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GameError(400, 'VALIDATION_FAILED', 'the path is not valid percent-encoding');
  }
}

const tooLarge = (limit: number) => new GameError(413, 'PAYLOAD_TOO_LARGE', `the body must be at most ${limit} bytes`);

function errorReply(error: unknown): [number, unknown] {
  const shape = (code: string, message: string, details?: unknown) => ({ error: { code, message, ...(details ? { details } : {}) } });
  if (error instanceof GameError) return [error.status, shape(error.code, error.message, error.details)];
  if (error instanceof InvalidArgumentError) return [400, shape('VALIDATION_FAILED', error.message)];
  // Coffer could not answer (after the SDK's bounded retries): the outcome of the call is unknown
  // to the player too, so they are told to try again, not that the game broke.
  if (error instanceof NetworkError || error instanceof UnavailableError) {
    return [503, shape('COFFER_UNAVAILABLE', `Coffer did not answer: try again shortly (${error.message})`)];
  }
  // Coffer's refusals of what the player asked (an unknown id, a limit): its code, its status.
  const status = error instanceof CofferError ? (error.status ?? 0) : 0;
  if (status >= 400 && status < 500 && status !== 401 && status !== 403) {
    const refusal = error as CofferError;
    return [status, shape(refusal.code, refusal.message, refusal.details)];
  }
  // Our key refused, Coffer's 500s, and our own bugs: the player can do nothing about them.
  return [500, shape('INTERNAL', 'the table failed: see its log')];
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
