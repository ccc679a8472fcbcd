/**
 * Real HTTP for the end-to-end tests in this folder (the wire under api-client.ts's typed
 * client): a gateway listening on a loopback port and a small client over node:http, so every byte (headers, bodies, chunking) is exactly what the
 * test says, the way a game would send it over the wire.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface HttpOptions {
  /** `Authorization: Bearer <token>` */
  token?: string;
  /** Sent as they are (a content-type here wins over the default one). */
  headers?: Record<string, string>;
  /** An object or array is sent as JSON; a string or Buffer as it is (with content-type application/json unless told). */
  body?: object | string | Buffer;
  idempotencyKey?: string;
  /** Sends the body with Transfer-Encoding: chunked in pieces of this many bytes, without a Content-Length. */
  chunkBytes?: number;
  /** The client's own address (any 127.x.y.z on loopback): requests from several addresses without a network. */
  localAddress?: string;
}

/** What came over the wire; api-client.ts (the tests' client) parses and types the body. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Makes an initialised gateway listen on a free loopback port; answers its base URL. */
export async function listenOnLoopback(app: NestFastifyApplication): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/** One request on a fresh connection; rejects only when no response came at all (refused, reset). */
export function http(base: string, method: string, path: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const url = new URL(path, base);
  const headers: Record<string, string> = { connection: 'close', ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    const hasType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    if (!hasType) headers['content-type'] = 'application/json';
    payload = Buffer.isBuffer(options.body)
      ? options.body
      : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body), 'utf8');
    if (options.chunkBytes) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = httpRequest(
      { host: url.hostname, port: url.port, method, path: `${url.pathname}${url.search}`, headers, agent: false, localAddress: options.localAddress },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => undefined);
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    // The server may answer (413) and close before it has read the whole body: that is not a failure.
    request.on('error', (error) => {
      if (!answered) setTimeout(() => (answered ? undefined : reject(error)), 200);
    });
    if (payload && options.chunkBytes) {
      for (let at = 0; at < payload.length; at += options.chunkBytes) request.write(payload.subarray(at, at + options.chunkBytes));
      request.end();
    } else {
      request.end(payload);
    }
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
