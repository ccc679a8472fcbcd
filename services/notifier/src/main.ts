import 'reflect-metadata';
import { runMicroservice } from '@coffer/platform';
import { NotifierModule } from './notifier.module';

runMicroservice('notifier', (config, logger) => NotifierModule.forRoot(config, logger));
