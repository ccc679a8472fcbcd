import 'reflect-metadata';
import { runMicroservice } from '@coffer/platform';
import { AchievementsModule } from './achievements.module';

runMicroservice('achievements', (config, logger, _transport, keys) => AchievementsModule.forRoot(config, logger, keys));
