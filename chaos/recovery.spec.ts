/**
 * A trial's fault and its recovery measurement, on a stand-in system (no processes): a fault that
 * cannot be carried out fails its trial with its reason, once nothing of it is still going on,
 * and leaves no stray rejection and no measurement polling behind (either would end or disturb the
 * whole run without a report).
 */
const { injectAndMeasure } = require('./recovery') as { injectAndMeasure: (ctx: object, fault: object) => Promise<any> };
const { schedule } = require('./faults') as { schedule: (options: { quick: boolean }) => Array<{ name: string }> };

const now = () => performance.timeOrigin + performance.now();
const killGateway = schedule({ quick: true }).find((fault) => fault.name === 'kill gateway')!;

/** A gateway to kill, a model of acknowledgements, and a database whose checkpoint is counted. */
function standIn(kill: (model: { acks: object[] }) => void) {
  const model = { acks: [] as object[] };
  const db = { reads: 0, tryQuery: async () => (db.reads++, [{ position: '5' }]) };
  const gateway = { name: 'gateway', pid: 1, kill: () => kill(model) };
  return { ctx: { model, db, log: () => undefined, supervisor: { get: () => gateway } }, db };
}

describe('injectAndMeasure', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  it('fails with the reason when an action fails before its ref (a kill of a service that is restarting)', async () => {
    const { ctx, db } = standIn(() => {
      throw new Error('gateway is not running');
    });
    await expect(injectAndMeasure(ctx, killGateway)).rejects.toThrow('gateway is not running');
    await new Promise((resolve) => setTimeout(resolve, 100)); // a stray rejection or poll would show by now
    expect(unhandled).toEqual([]);
    expect(db.reads).toBe(0);
  });

  it('measures when writes resumed and the read models caught up, and stops polling then', async () => {
    const { ctx, db } = standIn((model) => {
      const t = now();
      model.acks.push({ class: 'ledger', sent: t + 1, t: t + 2, position: '5' }, { class: 'achievements', sent: t + 1, t: t + 3, position: null });
    });
    const measured = await injectAndMeasure(ctx, killGateway);
    expect(measured.recovery).toMatchObject({ complete: true, resumed: { ledger: expect.any(Number), achievements: expect.any(Number) } });
    expect(measured.recovery.resumed.ledger - measured.ref).toBeCloseTo(2, 0);
    const reads = db.reads;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(db.reads).toBe(reads);
    expect(unhandled).toEqual([]);
  });
});
