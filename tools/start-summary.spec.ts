/** The block npm start ends with: where things are, and the admin token as this start knows it. */
import { ADMIN_TOKEN_LINE, RESET_COMMAND, summary } from './start-summary';

describe('npm start summary', () => {
  it('on the first start: the token the gateway printed, and how to get another', () => {
    const text = summary({ port: 3000, adminToken: 'cadm_abc', adminTokenFromEnv: false, backendMetrics: [['ledger', 9101]] });
    expect(text).toContain('  API          http://localhost:3000\n');
    expect(text).toContain('  Docs         http://localhost:3000/docs\n');
    expect(text).toContain('  Metrics      http://localhost:3000/metrics\n    ledger       http://localhost:9101/metrics\n');
    expect(text).toContain('  Console      http://localhost:3000/console\n');
    expect(text).toContain('  Admin token  cadm_abc\n');
    expect(text).toContain(RESET_COMMAND);
  });

  it('on a later start: the first token still holds, and how to reset it', () => {
    const text = summary({ port: 3000, adminTokenFromEnv: false });
    expect(text).toContain('  Admin token  the one printed at the first start on this database still holds.\n');
    expect(text).toContain(`Lost? ${RESET_COMMAND} prints a new one (the old one stops working).`);
  });

  it('with COFFER_ADMIN_TOKEN set: that one, and no reset advice (the command refuses then)', () => {
    const text = summary({ port: 3000, adminToken: undefined, adminTokenFromEnv: true });
    expect(text).toContain('  Admin token  the COFFER_ADMIN_TOKEN you set\n');
    expect(text).not.toContain(RESET_COMMAND);
  });

  it('picks the token out of the gateway line, as start.js sees it', () => {
    expect('Coffer admin token (shown once, keep it safe): cadm_x-Y_z'.match(ADMIN_TOKEN_LINE)?.[1]).toBe('cadm_x-Y_z');
  });
});
