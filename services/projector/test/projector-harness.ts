import type { INestMicroservice } from '@nestjs/common';
import { JsonLogger, loadConfig, startMicroservice } from '@coffer/platform';
import { testNatsUrl } from '@coffer/testing';
import { ProjectorModule } from '../src/projector.module';

/** A projector of a test's own database and NATS prefix, as `npm start` runs it. */
export async function startProjector(stack: { databaseUrl: string; prefix: string }): Promise<INestMicroservice> {
  const config = loadConfig({ DATABASE_URL: stack.databaseUrl, NATS_URL: testNatsUrl(), COFFER_NATS_PREFIX: stack.prefix, LOG_LEVEL: 'error' });
  const logger = new JsonLogger('projector', 'error');
  return startMicroservice({ service: 'projector', config, logger, module: () => ProjectorModule.forRoot(config, logger) });
}
