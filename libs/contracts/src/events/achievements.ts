/**
 * The achievements context's domain events: the achievement's own (../achievement) and its
 * writer's recorded refusals (../writer), as its streams hold them.
 */
import type { AchievementConceptEventMap } from '../achievement/events';
import type { AchievementWriterEventMap } from '../writer/events';

export interface AchievementEventMap extends AchievementConceptEventMap, AchievementWriterEventMap {}

export type AchievementEventType = keyof AchievementEventMap;

export type AchievementEvent = {
  [Type in AchievementEventType]: { type: Type; data: AchievementEventMap[Type] };
}[AchievementEventType];
