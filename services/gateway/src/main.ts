import 'reflect-metadata';
import { configOrExit, JsonLogger } from '@coffer/platform';
import { createGateway } from './create-gateway';

async function main(): Promise<void> {
  const config = configOrExit('gateway');
  const logger = new JsonLogger('gateway', config.logLevel);
  const app = await createGateway(config, logger);
  await app.listen({ port: config.port, host: '0.0.0.0' });
  logger.event('info', 'gateway started', {
    api: `http://localhost:${config.port}`,
    docs: `http://localhost:${config.port}/docs`,
  });
}

main().catch((error) => {
  new JsonLogger('gateway').error(error);
  process.exit(1);
});
