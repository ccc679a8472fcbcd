/**
 * An HTTP proxy between the SDK and a gateway that fails on purpose, request by request: it
 * drops the connection before forwarding (the request never arrives), or forwards it, lets the
 * gateway do the work, and cuts the connection instead of answering (the answer is lost: the
 * case idempotency exists for). It counts what passes, so a test can see every attempt.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'forward' | 'drop' | 'cut-after-forward';

export interface Passed {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  fault: Fault;
  /** The gateway's status, when it was asked. */
  status?: number;
  /** Its Idempotent-Replayed header. */
  replayed?: string;
}

export class FlakyProxy {
  readonly passed: Passed[] = [];
  /** Decides the fate of each request (default: forward everything). */
  plan: (method: string, path: string) => Fault = () => 'forward';

  private constructor(
    private readonly server: Server,
    public target: string,
  ) {}

  static async start(target: string): Promise<FlakyProxy> {
    const proxy: FlakyProxy = new FlakyProxy(
      createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const fault = proxy.plan(request.method ?? 'GET', request.url ?? '/');
          const entry: Passed = { method: request.method ?? 'GET', path: request.url ?? '/', headers: request.headers, fault };
          proxy.passed.push(entry);
          if (fault === 'drop') {
            request.socket.destroy();
            return;
          }
          const url = new URL(request.url ?? '/', proxy.target);
          const upstream = httpRequest(
            { host: url.hostname, port: url.port, method: request.method, path: url.pathname + url.search, headers: { ...request.headers, host: url.host, connection: 'close' }, agent: false },
            (answer) => {
              const body: Buffer[] = [];
              answer.on('data', (chunk: Buffer) => body.push(chunk));
              answer.on('end', () => {
                entry.status = answer.statusCode;
                entry.replayed = answer.headers['idempotent-replayed'] as string | undefined;
                if (fault === 'cut-after-forward') {
                  request.socket.destroy();
                  return;
                }
                const headers = { ...answer.headers };
                delete headers['transfer-encoding'];
                delete headers.connection;
                response.writeHead(answer.statusCode ?? 502, headers);
                response.end(Buffer.concat(body));
              });
            },
          );
          // The gateway is down (refused, reset): the client sees its connection close, no answer.
          upstream.on('error', () => request.socket.destroy());
          upstream.end(Buffer.concat(chunks));
        });
      }),
      target,
    );
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What passed to paths matching `pattern`. */
  to(method: string, pattern: RegExp): Passed[] {
    return this.passed.filter((entry) => entry.method === method && pattern.test(entry.path));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
