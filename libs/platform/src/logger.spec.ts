import { JsonLogger } from './logger';

describe('structured logs', () => {
  const capture = (level: 'debug' | 'info' | 'warn' | 'error' = 'info') => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = new JsonLogger('ledger', level, (line) => lines.push(JSON.parse(line)));
    return { logger, lines };
  };

  it('writes one JSON object per line with the service and the fields given (a request\'s correlation id among them)', () => {
    const { logger, lines } = capture();
    logger.event('info', 'batch appended', { correlation_id: 'req-42', size: 12, position: 10n ** 20n });
    logger.log('outside any request', 'NestFactory');
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'ledger',
      msg: 'batch appended',
      correlation_id: 'req-42',
      size: 12,
      position: '100000000000000000000',
    });
    expect(lines[1]).toMatchObject({ msg: 'outside any request', context: 'NestFactory' });
    expect(lines[1]).not.toHaveProperty('correlation_id');
  });

  it('keeps errors with their stack and drops lines below its level', () => {
    const { logger, lines } = capture('warn');
    logger.debug('noise');
    logger.log('more noise');
    logger.error(new Error('disk full'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'disk full', error: 'Error' });
    expect(String(lines[0].stack)).toContain('disk full');
  });
});
