/**
 * A backend's Prometheus endpoint (GET /metrics on COFFER_METRICS_PORT): the NATS services have
 * no HTTP server of their own, and what their door refuses must be visible somewhere.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** A scrape is answered or dropped within this time: a stuck client holds no socket for long. */
const METRICS_REQUEST_TIMEOUT_MS = 5_000;

export async function serveMetrics(registry: Registry, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  server.requestTimeout = METRICS_REQUEST_TIMEOUT_MS;
  server.headersTimeout = METRICS_REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return server;
}
