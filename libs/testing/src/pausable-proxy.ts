/**
 * A TCP proxy a test can freeze: while paused it still accepts connections and closes none, but
 * moves no byte either way, as a frozen (SIGSTOP) or partitioned server does: no reset, no
 * answer. Put in front of the shared servers it freezes only the connections made through it,
 * so the shared servers themselves are never touched.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class PausableProxy {
  private readonly sockets = new Set<Socket>();
  private paused = false;

  private constructor(private readonly server: Server) {}

  /** Listens on a free loopback port and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<PausableProxy> {
    const proxy: PausableProxy = new PausableProxy(createServer((client) => proxy.forward(client, target)));
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Freezes every connection, and every one accepted from now on, until resume(). */
  pause(): void {
    this.paused = true;
    for (const socket of this.sockets) socket.pause();
  }

  /** Thaws them: what was held back flows on, as it does when a frozen server is continued. */
  resume(): void {
    this.paused = false;
    for (const socket of this.sockets) socket.resume();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private forward(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect(target);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(from);
      from.on('data', (chunk: Buffer) => to.write(chunk));
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
      if (this.paused) from.pause(); // after the 'data' listener, which would otherwise resume it
    }
  }
}
