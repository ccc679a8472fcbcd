/**
 * Coffer's answers to slash commands, as Discord's interaction responses: an embed (type 4) for
 * what was asked, an ephemeral message (flags 64: only the invoker sees it) in plain words for a
 * refusal. Pure. Mentions are rendered but never ping anyone (allowed_mentions empty).
 */
import type { BalanceRank, BalanceReply } from '@coffer/contracts';
import type { UserAchievementView } from '@coffer/contracts/http';

export const RESPONSE_TYPE = { PONG: 1, CHANNEL_MESSAGE: 4, DEFERRED_CHANNEL_MESSAGE: 5 } as const;
export const EPHEMERAL = 64;
const COLOUR = 0xd4a017; // the coffer's gold
/** Discord's limits for an embed's description and a message's content. */
const MAX_DESCRIPTION = 4096;
/** Badges listed in one answer (the rest are counted). */
export const MAX_BADGES_SHOWN = 20;

export interface Embed {
  title: string;
  description: string;
  color: number;
  fields?: Array<{ name: string; value: string; inline?: boolean }>;
}

export interface MessageData {
  content?: string;
  embeds?: Embed[];
  flags?: number;
  allowed_mentions: { parse: [] };
}

export type InteractionResponse = { type: 1 } | { type: 4; data: MessageData } | { type: 5 };

export const pong = (): InteractionResponse => ({ type: RESPONSE_TYPE.PONG });

export function embedAnswer(embed: Embed): InteractionResponse {
  return { type: RESPONSE_TYPE.CHANNEL_MESSAGE, data: { embeds: [{ ...embed, description: embed.description.slice(0, MAX_DESCRIPTION) }], allowed_mentions: { parse: [] } } };
}

/** A refusal or a problem: only the member who asked sees it. */
export function ephemeral(text: string): InteractionResponse {
  return { type: RESPONSE_TYPE.CHANNEL_MESSAGE, data: { content: text.slice(0, 2000), flags: EPHEMERAL, allowed_mentions: { parse: [] } } };
}

export const mention = (userId: string): string => `<@${userId}>`;

/** 1234567 → "1,234,567" (exact: digit strings, never floating point). */
export function grouped(amount: string): string {
  const negative = amount.startsWith('-');
  const digits = negative ? amount.slice(1) : amount;
  return (negative ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function balanceEmbed(balance: BalanceReply): InteractionResponse {
  const lines = balance.balances.map((line) => {
    const held = line.pending_debit !== '0' || line.pending_credit !== '0' ? ` (posted ${grouped(line.posted)}, held ${grouped(line.pending_debit)}, incoming ${grouped(line.pending_credit)})` : '';
    return `**${grouped(line.available)}** ${line.currency}${held}`;
  });
  return embedAnswer({ title: 'Wallet', description: `${mention(balance.user_id)}\n${lines.join('\n')}`, color: COLOUR });
}

export function paidEmbed(from: string, to: string, amount: string, currency: string, transactionId: number): InteractionResponse {
  return embedAnswer({
    title: 'Payment sent',
    description: `${mention(from)} paid ${mention(to)} **${grouped(amount)}** ${currency}`,
    color: COLOUR,
    fields: [{ name: 'Transaction', value: `#${transactionId}`, inline: true }],
  });
}

export function claimedEmbed(userId: string, amount: string, currency: string): InteractionResponse {
  return embedAnswer({ title: 'Daily allowance', description: `${mention(userId)} claimed **${grouped(amount)}** ${currency}`, color: COLOUR });
}

export function badgesEmbed(userId: string, badges: UserAchievementView[], more: boolean): InteractionResponse {
  const unlocked = badges.filter((badge) => badge.unlocked);
  const inProgress = badges.filter((badge) => !badge.unlocked && badge.progress > 0);
  const lines = [
    ...unlocked.slice(0, MAX_BADGES_SHOWN).map((badge) => `🏅 **${badge.name}**`),
    ...inProgress.slice(0, Math.max(0, MAX_BADGES_SHOWN - unlocked.length)).map((badge) => `▫️ ${badge.name}: ${badge.progress}/${badge.goal}`),
  ];
  const hidden = unlocked.length + inProgress.length - lines.length;
  const summary = `${mention(userId)}: ${unlocked.length}${more ? '+' : ''} unlocked`;
  const body = lines.length ? lines.join('\n') : 'No badges yet.';
  return embedAnswer({ title: 'Badges', description: `${summary}\n${body}${hidden > 0 ? `\n…and ${hidden} more` : ''}`, color: COLOUR });
}

export function leaderboardEmbed(currency: string, ranks: BalanceRank[]): InteractionResponse {
  const lines = ranks.map((rank) => `${rank.rank}. ${mention(rank.user_id)}: **${grouped(rank.value)}** ${currency}`);
  return embedAnswer({ title: `Leaderboard: ${currency}`, description: lines.length ? lines.join('\n') : `Nobody holds any ${currency} yet.`, color: COLOUR });
}

