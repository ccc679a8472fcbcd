import 'reflect-metadata';
import { runMicroservice } from '@coffer/platform';
import { ProjectorModule } from './projector.module';

runMicroservice('projector', (config, logger, _transport, _keys, registry) => ProjectorModule.forRoot(config, logger, registry));
