/**
 * Discord's REST API as its docs describe it (https://discord.com/developers/docs/reference,
 * …/topics/rate-limits, …/topics/opcodes-and-status-codes), on a real loopback socket: the only
 * mock of the Discord tests. It keeps guilds, members and roles, checks the bot token, answers
 * 204 to a role added, 404 with Discord's JSON error codes to unknown guilds, members and roles,
 * 401 to a bad token, 403 to a role above the bot's, and plays the failures a test plans
 * (a 5xx, or a 429 with `{message, retry_after, global}` and its headers) before the real answer.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DiscordRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export type PlannedFailure = { status: 500 | 502 | 503 } | { status: 429; retryAfterSeconds: number; global?: boolean };

export class DiscordStandIn {
  readonly requests: DiscordRequest[] = [];
  /** Roles each member holds, by `guild/user`. */
  readonly memberRoles = new Map<string, Set<string>>();
  /** Answered, in order, to the next role requests before the real answer. */
  readonly failures: PlannedFailure[] = [];
  /** Roles above the bot's own in the hierarchy: adding them is 403 Missing Permissions. */
  readonly rolesAboveBot = new Set<string>();
  /** The commands last PUT per application. */
  readonly commands = new Map<string, unknown>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly botToken: string,
    readonly guildId: string,
    readonly roles: Set<string>,
    readonly members: Set<string>,
  ) {}

  static async start(options: { botToken: string; guildId: string; roles: string[]; members: string[] }): Promise<DiscordStandIn> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const standIn = new DiscordStandIn(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v10`,
      options.botToken,
      options.guildId,
      new Set(options.roles),
      new Set(options.members),
    );
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = (request.url ?? '').replace(/^\/api\/v10/, '');
        const answer = standIn.answer(request.method ?? 'GET', path, request.headers, body);
        standIn.requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body, status: answer.status });
        response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      });
    });
    return standIn;
  }

  /** The requests that added a role (whatever their answer). */
  roleRequests(): DiscordRequest[] {
    return this.requests.filter((each) => each.method === 'PUT' && /^\/guilds\/\d+\/members\/\d+\/roles\/\d+$/.test(each.path));
  }

  private answer(method: string, path: string, headers: IncomingHttpHeaders, body: string): { status: number; body?: unknown; headers?: Record<string, string> } {
    const webhook = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(path);
    if (webhook && method === 'PATCH') return { status: 200, body: { id: '1', ...JSON.parse(body) } };
    if (headers.authorization !== `Bot ${this.botToken}`) return { status: 401, body: { message: '401: Unauthorized', code: 0 } };
    const commands = /^\/applications\/(\d+)\/commands$/.exec(path);
    if (commands && method === 'PUT') {
      const list = JSON.parse(body) as Array<Record<string, unknown>>;
      this.commands.set(commands[1], list);
      return { status: 200, body: list.map((command, index) => ({ id: String(1000 + index), application_id: commands[1], version: '1', ...command })) };
    }
    const role = /^\/guilds\/(\d+)\/members\/(\d+)\/roles\/(\d+)$/.exec(path);
    if (role && method === 'PUT') {
      const failure = this.failures.shift();
      if (failure?.status === 429) {
        return {
          status: 429,
          body: { message: 'You are being rate limited.', retry_after: failure.retryAfterSeconds, global: failure.global ?? false },
          headers: {
            'retry-after': String(Math.ceil(failure.retryAfterSeconds)),
            'x-ratelimit-limit': '10',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset-after': String(failure.retryAfterSeconds),
            'x-ratelimit-bucket': 'roles',
            'x-ratelimit-scope': failure.global ? 'global' : 'user',
          },
        };
      }
      if (failure) return { status: failure.status, body: { message: 'Internal Server Error', code: 0 } };
      const [, guild, user, roleId] = role;
      if (guild !== this.guildId) return { status: 404, body: { message: 'Unknown Guild', code: 10004 } };
      if (!this.members.has(user)) return { status: 404, body: { message: 'Unknown Member', code: 10007 } };
      if (!this.roles.has(roleId)) return { status: 404, body: { message: 'Unknown Role', code: 10011 } };
      if (this.rolesAboveBot.has(roleId)) return { status: 403, body: { message: 'Missing Permissions', code: 50013 } };
      const key = `${guild}/${user}`;
      this.memberRoles.set(key, (this.memberRoles.get(key) ?? new Set()).add(roleId));
      return { status: 204 };
    }
    return { status: 404, body: { message: '404: Not Found', code: 0 } };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
