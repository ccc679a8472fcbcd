import 'reflect-metadata';
import { runMicroservice } from '@coffer/platform';
import { AchievementsModule } from './achievements.module';

runMicroservice('achievements', (config, logger) => AchievementsModule.forRoot(config, logger));
