/**
 * The achievements domain as a Decider (@coffer/decider): what the writer runs every command
 * through. The state a command is decided on is its streams' (the definition, and for progress
 * commands the user's progress); an event folds into the stream it belongs to.
 */
import type { AchievementCommand, Refusal } from '@coffer/contracts';
import { assertInvariant, type Decider } from '@coffer/decider';
import { decide, type DecideContext, type DecisionState } from './decide';
import { evolveAchievement, evolveProgress, type AppliedEvent } from './evolve';
import { replay, reply, type AchievementsAnswer, type RememberedState } from './replies';
import { AchievementState, type ProgressState } from './state';

export type AchievementsDecider = Decider<AchievementCommand, AppliedEvent, DecisionState, DecideContext, AchievementsAnswer, RememberedState>;

/** `idempotencyRetentionMs`: the window of keyed commands whose events do not say theirs (written before they did). */
export function achievementsDecider(idempotencyRetentionMs: number): AchievementsDecider {
  return {
    initialState: () => ({ achievement: new AchievementState(idempotencyRetentionMs) }),
    decide,
    evolve,
    reply,
    replay,
    refused: (refused: Refusal): AppliedEvent => {
      const data = { code: refused.code, message: refused.message };
      return { type: 'AchievementCommandRefused', data: refused.details ? { ...data, details: refused.details } : data };
    },
  };
}

/**
 * Folds an event into the stream it belongs to. A refusal's record belongs to the stream its
 * command was decided on: the user's progress for a progress command, else the definition's.
 */
export function evolve(state: DecisionState, event: AppliedEvent): DecisionState {
  switch (event.type) {
    case 'AchievementRegistered':
    case 'AchievementUpdated':
      evolveAchievement(state.achievement, event);
      break;
    case 'AchievementCommandRefused':
      if (state.progress) evolveProgress(state.progress, event);
      else evolveAchievement(state.achievement, event);
      break;
    default:
      // ProgressRecorded, AchievementUnlocked; a RewardGranted here is refused by evolveProgress as not its stream's.
      evolveProgress(requireProgress(state), event);
  }
  return state;
}

function requireProgress(state: DecisionState): ProgressState {
  assertInvariant('achievements', state.progress !== undefined, `a progress event without a progress state`);
  return state.progress;
}
