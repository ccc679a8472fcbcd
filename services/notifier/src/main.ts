import 'reflect-metadata';
import { runMicroservice } from '@coffer/platform';
import { NotifierModule } from './notifier.module';

runMicroservice('notifier', (config, logger, _transport, _keys, registry) => NotifierModule.forRoot(config, logger, {}, registry));
