import 'reflect-metadata';
import { runMicroservice } from '@coffer/platform';
import { ProjectorModule } from './projector.module';

runMicroservice('projector', (config, logger) => ProjectorModule.forRoot(config, logger));
