// Writes one run's results as chaos-<ts>.json (everything) and chaos-<ts>.md (the table of
// faults, then what each fault did, with the services' own log lines as evidence); a full run
// also replaces chaos/latest/.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const fmt = (value) => (value === null || value === undefined ? '–' : Number(value).toLocaleString('en-US'));
const seconds = (ms) => (ms === null || ms === undefined ? '–' : (ms / 1000).toFixed(ms < 10_000 ? 2 : 1));
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function tableRow(t) {
  if (!t.traffic) return `| ${t.trial} | ${t.fault} |${' – |'.repeat(13)} ❌ ${cell(t.failures.join('; '))} |`;
  const resumed = `${seconds(t.writes_resumed_ms)}${t.ref_is_back ? ` (${seconds(t.writes_resumed_after_ref_ms)} after back)` : ''}`;
  const target = t.target_ms === null ? '–' : `≤ ${seconds(t.target_ms)}${t.target_met ? ' ✅' : ' ❌'}`;
  const fivexx = `${fmt(t.traffic.status_503)} / ${fmt(t.traffic.status_500 + t.traffic.other_5xx)}`;
  return (
    `| ${t.trial} | ${t.fault} | ${resumed} | ${target} | ${seconds(t.achievement_writes_resumed_ms)} | ${seconds(t.read_models_caught_up_ms)} | ` +
    `${fmt(t.ops.acknowledged)} | ${fmt(t.ops.unknown)} | ${fmt(t.counts.lost)} | ${fmt(t.counts.doubled)} | ${fmt(t.counts.phantom)} | ` +
    `${fmt(t.counts.wrong + t.counts.unsettled)} | ${fivexx} | ${fmt(t.traffic.no_answer)} | ${seconds(t.traffic.slowest_write_ms)} | ${t.verify.ok ? '✅' : '❌'} ${t.ok ? '**pass**' : '**FAIL**'} |`
  );
}

/** One line per fault over its rounds: sums, and the worst recovery. */
function summaryTable(results) {
  const byFault = new Map();
  for (const t of results.trials) {
    if (!byFault.has(t.fault)) byFault.set(t.fault, []);
    byFault.get(t.fault).push(t);
  }
  const worst = (list, field) => (list.some((t) => t[field] === null || t[field] === undefined) ? null : Math.max(...list.map((t) => t[field])));
  const sum = (list, read) => list.reduce((total, t) => total + (t.traffic ? read(t) : 0), 0);
  const rows = [...byFault].map(([fault, list]) => {
    const ran = list.filter((t) => t.traffic);
    const target = list[0].target_ms;
    const resumed = worst(ran, 'writes_resumed_ms');
    const afterBack = ran.some((t) => t.ref_is_back) ? ` (${seconds(worst(ran, 'writes_resumed_after_ref_ms'))})` : '';
    const met = ran.length && ran.every((t) => t.target_met !== false);
    return (
      `| ${fault} | ${list.filter((t) => t.ok).length} / ${list.length} | ${seconds(resumed)}${afterBack} | ${target === null ? '–' : `≤ ${seconds(target)} ${met ? '✅' : '❌'}`} | ` +
      `${seconds(worst(ran, 'read_models_caught_up_ms'))} | ${fmt(sum(ran, (t) => t.ops.acknowledged))} | ${fmt(sum(ran, (t) => t.ops.unknown))} | ` +
      `${fmt(sum(ran, (t) => t.counts.lost))} | ${fmt(sum(ran, (t) => t.counts.doubled))} | ${fmt(sum(ran, (t) => t.counts.phantom))} | ` +
      `${fmt(sum(ran, (t) => t.counts.wrong + t.counts.unsettled))} | ${fmt(sum(ran, (t) => t.traffic.status_503))} / ${fmt(sum(ran, (t) => t.traffic.status_500 + t.traffic.other_5xx))} | ` +
      `${seconds(ran.length ? Math.max(...ran.map((t) => t.traffic.slowest_write_ms)) : null)} | ${ran.length && ran.every((t) => t.verify.ok) ? '✅' : '❌'} |`
    );
  });
  return [
    '| fault | passed | writes resumed, worst (s) | target (s) | read models caught up, worst (s) | acknowledged | unknown | lost | doubled | phantom | wrong | 5xx: 503 / other | slowest answer (s) | verify |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
  ];
}

function markdown(results) {
  const s = results.settings;
  const m = results.machine;
  const lines = [
    `# Coffer chaos run — ${results.started_at}`,
    '',
    `${m.cpus} × ${m.cpu_model}, ${m.memory_gb} GB, Node ${m.node}; ${results.options.quick ? 'quick' : 'full'} run, ${results.minutes} min. ` +
      `Private PostgreSQL 15 and NATS ${'2.9'} (JetStream), gateway, two ledgers, projector and achievements as separate processes, ` +
      `restarted ${s.restart_delay_ms} ms after they exit. ${s.virtual_users} virtual users over 3 apps plus two open-loop probes (a write every ${s.probe_interval_ms} ms), ` +
      `every write retried with its Idempotency-Key until a definitive answer. Finance events time out after ${s.event_timeout_seconds} s. ` +
      `Outages: NATS ${seconds(s.nats_outage_ms)} s, PostgreSQL ${seconds(s.postgres_outage_ms)} s, freeze ${seconds(s.freeze_ms)} s.`,
    '',
    `**Result: ${results.summary.passed} passed, ${results.summary.failed} failed.** A fault passes when nothing is lost, doubled, phantom or wrong, ` +
      `\`verify\` passes and the system recovers within ${seconds(s.recovery_deadline_ms)} s of the fault's end. Target (issue 10): writes resume within ` +
      `${seconds(s.write_resume_target_ms)} s of a ledger kill or freeze, and of NATS or PostgreSQL accepting connections again; ` +
      (s.write_resume_target_enforced
        ? 'in this full run a missed target fails the fault.'
        : 'this quick run (what CI runs, on a shared machine where a timing blip is not a defect) reports it (✅/❌) without failing the fault on it.'),
    '',
    'Times in seconds from the injection ("after back": from the moment the stopped server accepted connections again). ' +
      '*Writes resumed* = first acknowledged ledger write whose attempt was sent after the fault (or after "back"); *read models* = ' +
      "their checkpoint reached that write's position. *Wrong* = there once but not as acknowledged, balances, unsettled events or rewards. " +
      '5xx = 503 / other 5xx answers (all routes, from the injection until the last client stopped); *no answer* = timeouts and refused or ' +
      'broken connections; *slowest answer* = the longest one write attempt waited for its answer in that window.',
    '',
    ...summaryTable(results),
    '',
    'Each trial:',
    '',
    '| # | fault | writes resumed (s) | target (s) | achievements resumed (s) | read models caught up (s) | acknowledged | unknown | lost | doubled | phantom | wrong | 5xx: 503 / other | no answer | slowest answer (s) | verify, result |',
    '| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...results.trials.map(tableRow),
    '',
  ];
  const totals = results.trials.filter((t) => t.ops).reduce(
    (sum, t) => ({ acknowledged: sum.acknowledged + t.ops.acknowledged, unknown: sum.unknown + t.ops.unknown, sent: sum.sent + t.ops.sent }),
    { acknowledged: 0, unknown: 0, sent: 0 },
  );
  lines.push(`${fmt(totals.sent)} writes sent during the faults' trials, ${fmt(totals.acknowledged)} acknowledged, ${fmt(totals.unknown)} unknown.`, '');

  lines.push('## What each fault did', '');
  for (const t of results.trials) {
    lines.push(`### ${t.trial}. ${t.fault} — ${t.ok ? 'pass' : 'FAIL'}`, '');
    lines.push(`Injected: ${t.injected}.${t.machine_busy_cores !== undefined ? ` Machine: ${t.machine_busy_cores} of ${m.cpus} cores busy during the trial (this harness and its clients ${t.harness_cores}), load average ${t.loadavg_1m?.toFixed(2)} at its start.` : ''}`);
    for (const failure of t.failures) lines.push(`- ❌ ${failure}`);
    for (const warning of t.warnings ?? []) lines.push(`- ⚠️ ${warning} (reported, not enforced in a quick run)`);
    if (t.traffic) {
      const routes = Object.entries(t.traffic.by_route).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ×${v}`);
      if (routes.length) lines.push(`- non-2xx answers: ${routes.join(', ')}`);
      const refusals = Object.entries(t.ops.refusals).map(([k, v]) => `${k} ×${v}`);
      if (refusals.length) lines.push(`- refusals (definitive 4xx): ${refusals.join(', ')}${t.ops.unexpected_refusals ? ` — **${t.ops.unexpected_refusals} unexpected**` : ''}`);
      const open = t.events_open_at_injection ?? {};
      lines.push(`- finance events open at the injection: ${Object.values(open).reduce((a, b) => a + b, 0)} (afterwards closed ${open.closed ?? 0}, expired ${open.expired ?? 0})`);
      lines.push(`- events closed / expired so far: ${t.stats.events_closed} / ${t.stats.events_expired}; unknown ops so far: ${t.stats.unknown}, of them found applied: ${t.stats.unknown_applied}; quiet after ${JSON.stringify(t.quiet)}`);
    }
    if (t.ledger_roles_after) {
      const when = (ms) => (ms === null ? '' : ms < 0 ? ` since ${seconds(-ms)} s before the injection` : ` since ${seconds(ms)} s after it`);
      const roles = t.ledger_roles_after.map((r) => `${r.service} ${r.role ?? 'silent'}${when(r.said_at_ms)}`);
      lines.push(`- ledgers once the load stopped: ${roles.join(', ')}`);
    }
    for (const exit of t.exits ?? []) {
      if (exit.planned) continue;
      lines.push(`- **${exit.service} exited by itself** ${seconds(exit.at_ms)} s after the injection (${exit.signal || `code ${exit.code}`}); its last lines:`);
      lines.push('  ```', ...exit.last_lines.map((l) => `  ${l}`), '  ```');
    }
    for (const a of (t.anomalies ?? []).slice(0, 10)) lines.push(`- ${a.type}: ${cell(a.detail)}`);
    if ((t.anomalies ?? []).length > 10) lines.push(`- … ${t.anomalies.length - 10} more in the JSON`);
    const evidence = Object.entries(t.evidence ?? {});
    if (evidence.length) {
      lines.push('- services logged (warnings, errors and ledger roles; first of each, ms after the injection):');
      for (const [service, groups] of evidence) {
        for (const g of groups) lines.push(`  - ${service} +${g.at_ms} ms ×${g.count}: \`${cell(g.first.slice(0, 240))}\``);
      }
    }
    lines.push('');
  }

  lines.push('## Do the checks work?', '');
  lines.push('Each check is run on deliberately wrong models and states; every one must be reported.', '');
  for (const t of results.self_test ?? []) {
    lines.push(`- ${t.detected === null ? '–' : t.detected ? '✅' : '❌'} ${t.mutation} → ${t.expected}${t.detected === null ? ` (${t.found})` : ''}${t.found?.length && t.detected ? `: ${cell(t.found[0])}` : ''}`);
  }
  if (results.sabotage?.error) lines.push(`- ❌ the read-model corruption could not be tried: ${cell(results.sabotage.error)}`);
  else if (results.sabotage) {
    const sab = results.sabotage;
    lines.push(`- ${sab.ok ? '✅' : '❌'} ${sab.corrupted}: verify ${sab.verify_failed ? 'failed as it must' : '**passed**'} (${cell(sab.verify_output.join(' '))}); checker: ${cell(sab.checker_found[0] ?? 'nothing found')}`);
  }
  lines.push('', `Logs of this run: \`${results.logs}\`.`);
  return lines.join('\n');
}

function writeReport(results, dir, stamp, latestDir) {
  fs.mkdirSync(dir, { recursive: true });
  const text = markdown(results);
  const paths = [path.join(dir, `chaos-${stamp}.json`), path.join(dir, `chaos-${stamp}.md`)];
  fs.writeFileSync(paths[0], JSON.stringify(results, null, 2));
  fs.writeFileSync(paths[1], `${text}\n`);
  if (latestDir) {
    fs.mkdirSync(latestDir, { recursive: true });
    fs.writeFileSync(path.join(latestDir, 'results.json'), JSON.stringify(results, null, 2));
    fs.writeFileSync(path.join(latestDir, 'report.md'), `${text}\n`);
    paths.push(latestDir);
  }
  return { markdown: text, paths };
}

module.exports = { writeReport };
