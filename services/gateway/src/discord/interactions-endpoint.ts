/**
 * POST /discord/interactions: Discord's HTTP interactions endpoint. Registered as a Fastify
 * route of its own (an encapsulated plugin) because the signature covers the raw body: its
 * content parser keeps the text, capped, and nothing is parsed or routed before the signature
 * checks out, so an unsigned request never reaches a read model or the ledger.
 *
 * Discord waits three seconds for an answer. A command not done by COFFER_DISCORD_DEFER_AFTER_MS
 * is answered "thinking…" (type 5) and its answer is sent later by editing that message through
 * the interaction's webhook (PATCH /webhooks/{application_id}/{token}/messages/@original).
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { callDiscord, type CofferConfig, type JsonLogger } from '@coffer/platform';
import { ApiError } from '../http/api-error';
import { sendError } from '../http/error-filter';
import { parseJsonBody } from '../http/lossless-json';
import { ephemeral, pong, RESPONSE_TYPE, type InteractionResponse } from './answers';
import { DiscordCommands } from './discord-commands';
import { readInteraction, type SlashCommand } from './interaction';
import { ed25519PublicKey, verifyInteraction } from './signature';

export const INTERACTIONS_PATH = '/discord/interactions';
/** Discord's interaction payloads are a few KiB; anything much larger is not Discord's. */
export const INTERACTION_BODY_LIMIT_BYTES = 32 * 1024;
/** Deferred commands still running at once; beyond, a new one is answered "busy" (each holds a follow-up). */
export const MAX_DEFERRED_COMMANDS = 100;

export async function registerDiscordInteractions(app: NestFastifyApplication, config: CofferConfig, logger: JsonLogger): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const key = config.discord.publicKey === undefined ? undefined : ed25519PublicKey(config.discord.publicKey);
  if (key === undefined) logger.event('info', 'discord interactions are off: COFFER_DISCORD_PUBLIC_KEY is not set');
  const endpoint = key === undefined ? undefined : new InteractionsEndpoint(key, () => app.get(DiscordCommands), config, logger);
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(/^application\/json(;.*)?$/i, { parseAs: 'string', bodyLimit: INTERACTION_BODY_LIMIT_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((error, request, reply) => sendError(reply, error, logger, request));
    scope.post(INTERACTIONS_PATH, async (request, reply) => {
      if (endpoint === undefined) throw new ApiError('NOT_FOUND', 'the Discord integration is off here (COFFER_DISCORD_PUBLIC_KEY is not set)');
      const raw = typeof request.body === 'string' ? request.body : '';
      return endpoint.handle(raw, request.headers['x-signature-ed25519'], request.headers['x-signature-timestamp'], reply);
    });
  });
}

class InteractionsEndpoint {
  private deferred = 0;

  constructor(
    private readonly key: KeyObject,
    private readonly commands: () => DiscordCommands,
    private readonly config: CofferConfig,
    private readonly logger: JsonLogger,
  ) {}

  async handle(raw: string, signature: string | string[] | undefined, timestamp: string | string[] | undefined, reply: FastifyReply): Promise<InteractionResponse> {
    const verdict = verifyInteraction(this.key, signature, timestamp, raw, Math.floor(Date.now() / 1000));
    if (!verdict.ok) throw new ApiError('UNAUTHENTICATED', verdict.reason);
    let body: unknown;
    try {
      body = parseJsonBody(raw);
    } catch {
      return ephemeral('Coffer could not read this interaction.');
    }
    const interaction = readInteraction(body);
    if (interaction.kind === 'ping') return pong();
    if (interaction.kind === 'unsupported') return ephemeral(`Sorry, Coffer cannot answer that: ${interaction.why}.`);
    return this.answer(interaction, reply);
  }

  /** The command's answer if it comes in time; else "thinking…" now and the answer as a follow-up. */
  private async answer(command: SlashCommand, reply: FastifyReply): Promise<InteractionResponse> {
    const running = this.commands()
      .run(command, reply)
      .catch((error: unknown) => {
        this.logger.event('error', 'discord command failed', { command: command.name, error: (error as Error).message });
        return ephemeral('Coffer could not answer this just now: try again in a moment.');
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.config.discord.deferAfterMs)));
    const first = await Promise.race([running, late]);
    clearTimeout(timer);
    if (first !== 'late') return first;
    if (this.deferred >= MAX_DEFERRED_COMMANDS) {
      // The command still runs (and its idempotency key stands), but no follow-up is kept for it.
      return ephemeral('Coffer is busy: this may still go through. Check /balance before trying again.');
    }
    this.deferred++;
    void running.then((answer) => this.followUp(command, answer)).finally(() => this.deferred--);
    return { type: RESPONSE_TYPE.DEFERRED_CHANNEL_MESSAGE };
  }

  private async followUp(command: SlashCommand, answer: InteractionResponse): Promise<void> {
    if (answer.type !== RESPONSE_TYPE.CHANNEL_MESSAGE) return;
    const { flags: _ephemeralOnlyAtFirst, ...data } = answer.data; // a deferred message's visibility was fixed by the type 5
    const sent = await callDiscord({
      apiUrl: this.config.discord.apiUrl,
      method: 'PATCH',
      path: `/webhooks/${command.applicationId}/${encodeURIComponent(command.token)}/messages/@original`,
      body: data,
    });
    if (!sent.ok) this.logger.event('warn', 'discord follow-up not sent', { command: command.name, interaction_id: command.id, error: sent.error });
  }
}
