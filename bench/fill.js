// The fast loader for the rebuild and cold-start figures. Growing the store to 1 M events through
// HTTP takes over an hour on 2 cores (the gateway and NATS hops cost far more than deciding), so
// this child process runs Coffer's own LedgerWriter (services/ledger/dist) in-process against the
// same event store and snapshot table, while the ledger service is stopped: the same decide/
// evolve, the same group-committed appends, the same snapshots (every DEFAULT_SNAPSHOT_EVERY events) — only the
// gateway and NATS are skipped. The events are exactly what the service would have written for
// these commands. If the writer's module cannot be loaded (its API moved), the child says so and
// the bench falls back to growing the store through HTTP.
//
// IPC: parent sends {type:'run', config} then {type:'stop'}; the child sends {type:'ready'},
// {type:'result', result} or {type:'error', message}.
'use strict';

const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { zipf, userId } = require('./load');

const repo = path.resolve(__dirname, '..');
/** Commands after which a writer that accepted none of them is taken to be misused, not busy. */
const FIRST_COMMANDS_CHECKED = 1000;

function loadWriter() {
  const { LedgerWriter, DEFAULT_SNAPSHOT_EVERY } = require(path.join(repo, 'services/ledger/dist/writer/ledger-writer.js'));
  const { SnapshotStore } = require(path.join(repo, 'services/ledger/dist/writer/snapshot-store.js'));
  const { createEventStore } = require(path.join(repo, 'libs/event-store/dist/index.js'));
  if (typeof LedgerWriter !== 'function' || typeof SnapshotStore !== 'function' || typeof createEventStore !== 'function') {
    throw new Error('services/ledger/dist no longer exports LedgerWriter/SnapshotStore as the loader expects');
  }
  return { LedgerWriter, SnapshotStore, createEventStore, snapshotEvery: DEFAULT_SNAPSHOT_EVERY };
}

// The writer logs through this: warnings and errors only, like LOG_LEVEL=warn.
const logger = {
  event(level, msg, fields) {
    if (level === 'warn' || level === 'error') console.error(JSON.stringify({ level, msg, ...fields }));
  },
};

async function run(config, control) {
  const { LedgerWriter, SnapshotStore, createEventStore, snapshotEvery } = loadWriter();
  const store = await createEventStore({ databaseUrl: config.databaseUrl });
  const snapshots = new SnapshotStore(config.databaseUrl);
  const writer = new LedgerWriter(store, snapshots, logger, {
    realm: config.realm,
    eventTimeoutSeconds: config.eventTimeoutSeconds,
    instanceId: randomUUID(),
    snapshotEvery, // the service's default
    maxBatch: 1000, // the service's default
    sweepIntervalMs: 100,
    clock: () => new Date(),
  });
  await writer.lead();
  process.send({ type: 'ready' });

  const pickUser = zipf(config.users, config.zipfExponent);
  const stats = { commands: 0, accepted: 0, refused: {}, started: Date.now() };
  const send = async (app, command) => {
    const commandId = randomUUID();
    const reply = await writer.command(
      { command, request_hash: null },
      // As the gateway does: a deadline (the writer refuses a command without one: it bounds how
      // long the id is remembered) and the app's own live key (decide checks it).
      { correlation_id: commandId, command_id: commandId, app_id: app.app_id, key_id: app.key_id ?? null, deadline_epoch_ms: Date.now() + 5000 },
      'gateway', // the sender the NATS door would have proven: the ledger obeys app commands from the gateway only
    );
    stats.commands++;
    if (reply.ok) stats.accepted++;
    else stats.refused[reply.code] = (stats.refused[reply.code] || 0) + 1;
    // A writer that refuses everything (its API or rules moved under this loader) grows nothing:
    // say so at once instead of waiting out the bench's budget at 0 events/s.
    if (stats.commands === FIRST_COMMANDS_CHECKED && stats.accepted === 0) {
      throw new Error(`the writer refused all of the first ${FIRST_COMMANDS_CHECKED} commands: ${JSON.stringify(stats.refused)}`);
    }
    return reply;
  };
  const amount = () => String(1 + Math.floor(Math.random() * 100));
  const user = () => userId(pickUser(Math.random));

  // The same shape of traffic as the HTTP fill: rounds, direct credits/debits, transfers.
  async function worker(index) {
    const app = config.apps[index % config.apps.length];
    while (!control.stopping) {
      const pick = Math.random() * 100;
      if (pick < 60) {
        const opened = await send(app, { type: 'OpenEvent', data: { description: 'bench round' } });
        if (!opened.ok) continue;
        const eventId = opened.result.result.event_id;
        const posts = 1 + Math.floor(Math.random() * 4);
        for (let i = 0; i < posts; i++) {
          if (i > 0) await send(app, { type: 'PingEvent', data: { event_id: eventId } });
          const type = Math.random() < 0.5 ? 'debit' : 'credit';
          await send(app, { type: 'PostTransaction', data: { user_id: user(), event_id: eventId, type, amount: amount(), currency: 'coins', description: null } });
        }
        if (Math.random() >= 0.1) await send(app, { type: 'CloseEvent', data: { event_id: eventId } });
      } else if (pick < 90) {
        const type = Math.random() < 0.5 ? 'debit' : 'credit';
        await send(app, { type: 'PostTransaction', data: { user_id: user(), event_id: null, type, amount: amount(), currency: 'coins', description: null } });
      } else {
        const from = user();
        let to = user();
        if (to === from) to = userId(1 + Math.floor(Math.random() * config.users));
        if (to === from) continue;
        await send(app, { type: 'Transfer', data: { from_user_id: from, to_user_id: to, amount: amount(), currency: 'coins', description: null } });
      }
    }
  }

  // Enough commands in flight to fill the writer's batches (it takes up to 1000 per append).
  await Promise.all(Array.from({ length: config.inFlight ?? 1000 }, (_, i) => worker(i)));
  await writer.stepDown(); // finishes the batch in flight and any snapshot being written
  await store.close();
  await snapshots.close();
  const seconds = (Date.now() - stats.started) / 1000;
  return { commands: stats.commands, commands_per_second: Math.round(stats.commands / seconds), refused: stats.refused };
}

if (require.main === module) {
  const control = { stopping: false };
  process.on('message', (message) => {
    if (message.type === 'stop') control.stopping = true;
    if (message.type !== 'run') return;
    run(message.config, control).then(
      (result) => process.send({ type: 'result', result }, () => process.exit(0)),
      (error) => process.send({ type: 'error', message: error.stack || error.message }, () => process.exit(1)),
    );
  });
  process.on('disconnect', () => {
    control.stopping = true;
  });
}
