// How a trial's fault is carried out and how fast the system recovered from it: when writes
// resumed (as the clients saw them, not from sleeps) and when the read models caught up, bounded
// by RECOVERY_DEADLINE_MS after the fault's end; a fault that cannot be carried out is an error
// for its trial, never a stray rejection that would end the whole run without a report.
'use strict';

const faults = require('./faults');
const { checkpoint } = require('./observe');

const RECOVERY_DEADLINE_MS = 30_000; // after the fault is over: not recovered by then is a failure
const RECOVERY_POLL_MS = 20;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value) => (value === null || value === undefined ? null : Math.round(value));

/**
 * When writes resumed: the first acknowledgement, per class of write, of an attempt sent at or
 * after `ref`; and when the read models caught up: their checkpoint reached the position of the
 * first such ledger write. Bounded by `deadline()` (Infinity while the fault is still going on).
 */
async function measureRecovery(ctx, ref, deadline) {
  const resumed = {};
  let caughtUpAt = null;
  let position = null;
  let scanned = 0;
  const classes = ['ledger', 'achievements'];
  while (now() < deadline()) {
    const acks = ctx.model.acks;
    for (; scanned < acks.length; scanned++) {
      const ack = acks[scanned];
      if (ack.sent < ref) continue;
      resumed[ack.class] ??= ack.t;
      if (ack.class === 'ledger' && position === null && ack.position !== null) position = BigInt(ack.position);
    }
    if (position !== null && caughtUpAt === null) {
      const seen = await checkpoint(ctx.db);
      if (seen !== null && seen >= position) caughtUpAt = now();
    }
    if (classes.every((c) => resumed[c]) && caughtUpAt !== null) break;
    await sleep(RECOVERY_POLL_MS);
  }
  return { resumed, caughtUpAt, complete: classes.every((c) => resumed[c]) && caughtUpAt !== null };
}

/**
 * Injects the fault and measures the recovery while the outage may still go on (a frozen writer
 * is thawed only after 8 s): {injected, ref, ref_is_back, restored, recovery}. The recovery's
 * deadline is known once every part of the fault is over. A fault that cannot be carried out
 * (an action failing) throws, once every part of it is over and the measuring has stopped: the
 * trial is then reported as one that could not finish.
 */
async function injectAndMeasure(ctx, fault) {
  let deadline = Infinity;
  let measuring = null;
  let injecting = null;
  try {
    injecting = faults.inject(ctx, fault);
    const { ref, ref_is_back } = await injecting.ref;
    measuring = measureRecovery(ctx, ref, () => deadline);
    const { restored } = await injecting.done;
    deadline = Math.max(ref, restored) + RECOVERY_DEADLINE_MS;
    return { injected: injecting.injected, ref, ref_is_back, restored, recovery: await measuring };
  } catch (error) {
    await injecting?.settled;
    throw error;
  } finally {
    if (deadline === Infinity) deadline = 0; // the fault failed: stop measuring at once
    await measuring?.catch(() => {});
  }
}

/**
 * Recovery times from the injection, and against the target (from the fault, or from "back").
 * Not recovering within RECOVERY_DEADLINE_MS is always a failure; a missed target goes to
 * `targetMisses` (the trial's failures in a full run, its warnings in a quick one).
 */
function recoveryResult(injection, recovery, target, failures, targetMisses) {
  const from = (t) => (t === undefined || t === null ? null : round(t - injection.injected));
  const { ledger, achievements } = recovery.resumed;
  const resumed = ledger && achievements ? Math.max(ledger, achievements) : null;
  const out = {
    outage_ms: round(injection.restored - injection.injected),
    ref_after_injection_ms: from(injection.ref),
    ref_is_back: injection.ref_is_back,
    writes_resumed_ms: from(ledger),
    achievement_writes_resumed_ms: from(achievements),
    read_models_caught_up_ms: from(recovery.caughtUpAt),
    writes_resumed_after_ref_ms: resumed === null ? null : round(resumed - injection.ref),
    target_met: resumed === null ? false : target === null ? null : resumed - injection.ref <= target,
  };
  if (!recovery.complete) {
    const said = (done, yes, no) => (done ? yes : no);
    failures.push(
      `did not recover within ${RECOVERY_DEADLINE_MS / 1000} s after the fault ended (writes ${said(ledger, 'resumed', 'never resumed')}, ` +
        `achievements ${said(achievements, 'resumed', 'never resumed')}, read models ${said(recovery.caughtUpAt, 'caught up', 'never caught up')})`,
    );
  } else if (out.target_met === false) {
    targetMisses.push(`writes resumed ${out.writes_resumed_after_ref_ms} ms after ${injection.ref_is_back ? 'the server came back' : 'the fault'}, target ${target} ms`);
  }
  return out;
}

module.exports = { injectAndMeasure, recoveryResult, RECOVERY_DEADLINE_MS };
