// Turns one run's results into bench-<ts>.json (everything), bench-<ts>.md (the table, the
// targets, and where the CPU went) and bench-<ts>.svg (throughput and p99 per second, both
// systems; drawn by hand, no library).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const TARGETS = {
  committed: 5000, // committed transactions/s end to end at concurrency 64
  posting: 5000, // posted transactions/s of the posting-only workload (issue 12)
  p99_ms: 50,
  ratio: 10, // Coffer / baseline committed transactions/s
  lag_p99_ms: 250,
  rebuild_eps: 50000,
  cold_start_ms: 2000,
};

const NODE_PROCESSES = ['gateway', 'ledger', 'projector', 'achievements', 'baseline', 'loadgen', 'rebuild'];

// ---------------------------------------------------------------- formatting

const fmt = (value, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(Number(value))
    ? '–'
    : Number(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (value) => (value === null || value === undefined ? '–' : Number(value) < 10 ? fmt(value, 2) : fmt(value, 1));
const ratio = (a, b) => (a && b ? `${fmt(a / b, a / b < 10 ? 2 : 1)}×` : '–');
const met = (ok) => (ok === null || ok === undefined ? '–' : ok ? '✅ yes' : '❌ no');
const trio = (latency) => (latency ? `${ms(latency.p50)} / ${ms(latency.p95)} / ${ms(latency.p99)}` : '–');

// ---------------------------------------------------------------- analysis

/** Each process's CPU cost per request and what ceiling that implies for a one-core event loop. */
function cpuBreakdown(load) {
  if (!load?.cpu) return [];
  const requests = load.requests.per_second;
  const committedPerRequest = requests ? load.committed.per_second / requests : 0;
  return Object.entries(load.cpu.cores)
    .filter(([, cores]) => cores > 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cores]) => {
      const usPerRequest = requests ? (cores * 1e6) / requests : null;
      const singleThreaded = NODE_PROCESSES.includes(name);
      return {
        name,
        cores,
        us_per_request: usPerRequest === null ? null : Math.round(usPerRequest),
        saturated: singleThreaded && cores >= 0.85,
        // One Node event loop tops out near one core: the throughput that core would allow.
        ceiling_committed_per_second: singleThreaded && usPerRequest ? Math.round((1e6 / usPerRequest) * committedPerRequest) : null,
      };
    });
}

/** Plain sentences: which resource ran out in a load run, and why. */
function explainLoad(label, load) {
  if (!load?.cpu) return [];
  const { cpu } = load;
  const lines = [];
  const busyShare = cpu.machine_busy_cores / cpu.machine_cores;
  const parts = cpuBreakdown(load);
  const list = parts
    .map((p) => `${p.name} ${fmt(p.cores, 2)}${p.us_per_request !== null ? ` (${fmt(p.us_per_request)} µs/request)` : ''}`)
    .join(', ');
  lines.push(
    `${label}: the machine was ${fmt(busyShare * 100)}% busy (${fmt(cpu.machine_busy_cores, 2)} of ${cpu.machine_cores} cores; ` +
      `${fmt(cpu.not_ours_cores, 2)} cores by processes outside this run). Cores by process: ${list}.`,
  );
  const saturated = parts.filter((p) => p.saturated);
  for (const p of saturated) {
    lines.push(
      `${label}: **${p.name} is saturated** at ${fmt(p.cores, 2)} cores — a Node process runs its JavaScript on one thread, so ~1 core is its ceiling; ` +
        `at ${fmt(p.us_per_request)} µs of CPU per request that is ≈ ${fmt(p.ceiling_committed_per_second)} committed tx/s with this mix.`,
    );
  }
  if (busyShare >= 0.9) {
    const top = parts[0];
    lines.push(
      `${label}: **CPU ran out** — both cores were busy, so every process waited for CPU and latency grew with the run queue. ` +
        `Largest consumer: ${top.name} (${fmt(top.cores, 2)} cores).` +
        (parts.some((p) => p.name === 'loadgen') ? ' The load generator shares the same 2 cores; on separate hardware the system would have that CPU too.' : ''),
    );
  } else if (!saturated.length) {
    lines.push(
      `${label}: CPU did not run out (${fmt(busyShare * 100)}% busy, no process at one core): requests spent their time waiting — ` +
        'for row locks, for the commit flush (fsync) and for pool connections, not computing.',
    );
  }
  return lines;
}

function analysis(results) {
  const coffer = results.coffer?.load;
  const baseline = results.baseline;
  const scale = results.coffer?.scale;
  const lines = [];
  const targets = [];
  const c = coffer?.committed.per_second;
  const b = baseline?.committed.per_second;
  targets.push({ name: 'committed transactions/s', value: c, ok: c === undefined ? null : c >= TARGETS.committed });
  targets.push({ name: 'p99 latency', value: coffer?.latency_ms.p99, ok: coffer ? coffer.latency_ms.p99 <= TARGETS.p99_ms : null });
  const posting = results.coffer?.posting;
  if (posting) {
    targets.push({ name: 'posting-only transactions/s', value: posting.committed.per_second, ok: posting.committed.per_second >= TARGETS.posting });
    targets.push({ name: 'posting-only p99 latency', value: posting.latency_ms.p99, ok: posting.latency_ms.p99 <= TARGETS.p99_ms });
  }
  targets.push({ name: 'Coffer / baseline', value: c && b ? c / b : null, ok: c && b ? c / b >= TARGETS.ratio : null });
  const lag = coffer?.projector_lag?.lag_ms.p99;
  targets.push({ name: 'projector lag p99', value: lag, ok: lag === undefined || lag === null ? null : lag <= TARGETS.lag_p99_ms });
  const eps = scale?.rebuild?.events_per_second;
  targets.push({ name: 'rebuild events/s', value: eps, ok: eps === undefined || eps === null ? null : eps >= TARGETS.rebuild_eps });
  const cold = scale?.cold_start?.median_ms;
  targets.push({ name: 'cold start', value: cold, ok: cold === undefined || cold === null ? null : cold < TARGETS.cold_start_ms });

  const missed = targets.filter((t) => t.ok === false).map((t) => t.name);
  if (coffer) lines.push(...explainLoad('Coffer', coffer));
  if (baseline) lines.push(...explainLoad('Baseline', baseline));
  if (baseline) {
    lines.push(
      'Baseline: every posted credit/debit locks its app\'s house-account row FOR UPDATE until its commit is flushed, so each app\'s ' +
        'money moves one at a time (4 apps → at most 4 such transactions in flight) and hot users serialise the same way; ' +
        'PostgreSQL does the locking, the WAL and the index updates for every request.',
    );
  }
  if (missed.includes('projector lag p99')) {
    const proj = cpuBreakdown(coffer).find((p) => p.name === 'projector');
    lines.push(
      `Projector lag p99 ${ms(lag)} ms > ${TARGETS.lag_p99_ms} ms: the projector used ${fmt(proj?.cores, 2)} cores` +
        (proj?.saturated ? ' (saturated: it cannot fold events as fast as they are written)' : ' and waited for CPU on a busy machine') + '.',
    );
  }
  if (missed.includes('rebuild events/s')) {
    const cores = scale.rebuild.cpu?.cores ?? {};
    lines.push(
      `Rebuild ${fmt(eps)} events/s < ${fmt(TARGETS.rebuild_eps)}: the rebuild process used ${fmt(cores.rebuild, 2)} cores and PostgreSQL ` +
        `${fmt(cores.postgres, 2)} (machine ${fmt(scale.rebuild.cpu?.machine_busy_cores, 2)} of ${scale.rebuild.cpu?.machine_cores} busy)` +
        ((cores.rebuild ?? 0) >= 0.85 ? ': the rebuild\'s single event loop is the limit (JSON decoding and folding of each event).' : ': it waits on PostgreSQL reads and writes more than it computes.'),
    );
  }
  if (missed.includes('cold start')) {
    const run = scale.cold_start.runs[0];
    lines.push(
      `Cold start ${fmt(cold)} ms ≥ ${TARGETS.cold_start_ms} ms: ${fmt(run.boot_ms)} ms to boot (Node, Nest, NATS, writer lock), ` +
        `${fmt(run.state_rebuilt_ms)} ms to load the snapshot and replay ${fmt(run.replayed_events)} events after it.`,
    );
  }
  if (scale && !scale.reached_target) {
    lines.push(`The store reached ${fmt(scale.events)} of ${fmt(scale.target_events)} events within the fill budget; rebuild and cold start were measured at that size.`);
  }
  return { targets, lines };
}

// ---------------------------------------------------------------- markdown

function markdown(results) {
  const c = results.coffer?.load;
  const b = results.baseline;
  const scale = results.coffer?.scale;
  const { targets, lines } = analysis(results);
  const target = (name) => targets.find((t) => t.name === name)?.ok;
  const rows = [];
  const row = (...cells) => rows.push(`| ${cells.join(' | ')} |`);

  row('metric', 'Coffer', 'baseline', 'Coffer / baseline', 'target', 'met?');
  row('---', '---:', '---:', '---:', '---', '---');
  row('**committed transactions/s**', `**${fmt(c?.committed.per_second)}**`, fmt(b?.committed.per_second), ratio(c?.committed.per_second, b?.committed.per_second), `≥ ${fmt(TARGETS.committed)}`, met(target('committed transactions/s')));
  row('Coffer / baseline throughput', '', '', `**${ratio(c?.committed.per_second, b?.committed.per_second)}**`, `≥ ${TARGETS.ratio}×`, met(target('Coffer / baseline')));
  row('requests/s (all routes)', fmt(c?.requests.per_second), fmt(b?.requests.per_second), ratio(c?.requests.per_second, b?.requests.per_second), '', '');
  const cp = results.coffer?.posting;
  const bp = b?.posting;
  if (cp || bp) {
    row('**posting only: posted transactions/s** (100 users, Idempotency-Keys)', `**${fmt(cp?.committed.per_second)}**`, fmt(bp?.committed.per_second), ratio(cp?.committed.per_second, bp?.committed.per_second), `≥ ${fmt(TARGETS.posting)}`, met(target('posting-only transactions/s')));
    row('posting only: latency p50 / p95 / p99 (ms)', trio(cp?.latency_ms), trio(bp?.latency_ms), ratio(cp?.latency_ms.p99, bp?.latency_ms.p99), `p99 ≤ ${TARGETS.p99_ms}`, met(target('posting-only p99 latency')));
    const refused = (load) => (load ? fmt(Object.values(load.refusals).reduce((sum, n) => sum + n, 0)) : '–');
    row('posting only: refusals', refused(cp), refused(bp), '', '', '');
  }
  const realms = results.coffer?.realms;
  if (realms) {
    const cores = realms.cpu?.cores ?? {};
    row(`**two realms side by side, posting only: posted transactions/s** (${realms.realms.join(' + ')}, half the virtual users each)`, `**${fmt(realms.committed.per_second)}**`, 'n/a', '', '', '');
    row('two realms: latency p50 / p95 / p99 (ms)', trio(realms.latency_ms), 'n/a', '', '', '');
    row('two realms: each writer\'s CPU cores (ledger of default / of the second realm)', `${cores.ledger?.toFixed(2) ?? '–'} / ${cores['ledger-blue']?.toFixed(2) ?? '–'}`, 'n/a', '', '', '');
  }
  const batchSize = (load) => (load?.nats_batches?.mean_requests_per_message == null ? '–' : fmt(load.nats_batches.mean_requests_per_message));
  if (c?.nats_batches || cp?.nats_batches) {
    row('requests per NATS message, gateway → services (the mix / posting only)', `${batchSize(c)} / ${batchSize(cp)}`, 'n/a', '', '', '');
  }
  row('latency p50 / p95 / p99, all routes (ms)', trio(c?.latency_ms), trio(b?.latency_ms), ratio(c?.latency_ms.p99, b?.latency_ms.p99), `p99 ≤ ${TARGETS.p99_ms}`, met(target('p99 latency')));
  const routes = new Set([...Object.keys(c?.routes ?? {}), ...Object.keys(b?.routes ?? {})]);
  for (const route of routes) {
    const cr = c?.routes[route];
    const br = b?.routes[route];
    row(`\`${route}\` p50 / p95 / p99 (ms), ${fmt(cr?.per_second)} vs ${fmt(br?.per_second)} req/s`, trio(cr?.latency_ms), trio(br?.latency_ms), ratio(cr?.latency_ms.p99, br?.latency_ms.p99), '', '');
  }
  const codes = new Set([...Object.keys(c?.refusals ?? {}), ...Object.keys(b?.refusals ?? {})]);
  for (const code of [...codes].sort()) {
    const share = (load) => (load?.refusals[code] ? `${fmt(load.refusals[code])} (${fmt((100 * load.refusals[code]) / load.requests.total, 2)}%)` : '0');
    row(`refusals \`${code}\``, share(c), share(b), '', '', '');
  }
  if (!codes.size) row('refusals', '0', '0', '', '', '');
  const lag = c?.projector_lag;
  row('projector lag p50 / p99 (ms)', lag ? `${ms(lag.lag_ms.p50)} / ${ms(lag.lag_ms.p99)}` : '–', 'n/a (reads its own tables)', '', `p99 ≤ ${TARGETS.lag_p99_ms}`, met(target('projector lag p99')));
  if (scale) {
    row(`rebuild all, events/s (${fmt(scale.rebuild?.events)} events)`, fmt(scale.rebuild?.events_per_second), 'n/a', '', `≥ ${fmt(TARGETS.rebuild_eps)}`, met(target('rebuild events/s')));
    const cs = scale.cold_start;
    const first = cs?.runs?.[0];
    row(
      `ledger cold start, median of ${cs?.runs?.length ?? 0} (ms)`,
      cs ? `${fmt(cs.median_ms)} (state ${fmt(first?.state_rebuilt_ms)} ms, ${fmt(first?.replayed_events)} replayed)` : '–',
      'n/a',
      '',
      `< ${fmt(TARGETS.cold_start_ms)}`,
      met(target('cold start')),
    );
    if (scale.fill) row(`store growth to ${fmt(scale.events)} events (${scale.fill.method.split(':')[0]}), events/s`, fmt(scale.fill.events_per_second), '', '', '', '');
    if (scale.projector_catch_up?.events_per_second) {
      row('projector catch-up after the growth, events/s', fmt(scale.projector_catch_up.events_per_second), '', '', '', '');
    }
  } else {
    row('rebuild all, events/s', 'not run', 'n/a', '', `≥ ${fmt(TARGETS.rebuild_eps)}`, '–');
    row('ledger cold start (ms)', 'not run', 'n/a', '', `< ${fmt(TARGETS.cold_start_ms)}`, '–');
  }
  const groups = new Set([...Object.keys(c?.cpu?.cores ?? {}), ...Object.keys(b?.cpu?.cores ?? {})]);
  const order = ['gateway', 'ledger', 'projector', 'achievements', 'baseline', 'postgres', 'nats', 'loadgen', 'bench'];
  for (const group of order.filter((g) => groups.has(g))) {
    row(`CPU cores: ${group}`, fmt(c?.cpu?.cores[group], 2), fmt(b?.cpu?.cores[group], 2), '', '', '');
  }
  row('CPU cores: machine busy (of ' + (c?.cpu?.machine_cores ?? b?.cpu?.machine_cores ?? '?') + ')', fmt(c?.cpu?.machine_busy_cores, 2), fmt(b?.cpu?.machine_busy_cores, 2), '', '', '');
  row('CPU cores: not this run (other processes)', fmt(c?.cpu?.not_ours_cores, 2), fmt(b?.cpu?.not_ours_cores, 2), '', '', '');
  row('CPU cores busy with other work just before', fmt(c?.background_before?.busy_cores, 2), fmt(b?.background_before?.busy_cores, 2), '', '', '');
  const verify = (v) => (v ? (v.ok ? '✅ OK' : '❌ FAILED') : '–');
  row('verify: no money lost or doubled', verify(results.coffer?.verify), verify(b?.verify), '', 'OK', met(results.coffer?.verify ? results.coffer.verify.ok && (scale?.verify?.ok ?? true) : null));
  if (scale?.verify) row(`verify at ${fmt(scale.events)} events`, verify(scale.verify), '', '', 'OK', met(scale.verify.ok));

  const o = results.options;
  const header = [
    `# Coffer benchmark — ${results.started_at}`,
    '',
    `${results.machine.cpus} × ${results.machine.cpu_model}, ${results.machine.memory_gb} GB, Node ${results.machine.node}` +
      (results.machine.postgres ? `, PostgreSQL ${results.machine.postgres.server_version} (autovacuum ${results.machine.postgres.autovacuum})` : '') +
      '. ' +
      `Closed loop: ${o.concurrency} virtual users, ${o.duration} s measured after ${o.warmup} s warm-up per system, ` +
      `${fmt(o.users)} users (Zipf s = ${o.zipf}), ${o.apps} apps${o.idempotencyKeys ? ', Idempotency-Key on every POST' : ''}. ` +
      `Mix (% of scenarios): ${Object.entries(results.workload.mix_percent).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    '**Committed transaction** = a 201 from `POST /finance/transaction` without an event or from `POST /finance/transfer`, ' +
      'plus, for each 200 from `POST /finance/event/:id/close`, the pending transactions that round had posted (they are committed by the close). ' +
      'Pending posts, pings, opens, reads and refusals are requests, not committed transactions. Latency is per request, measured by the client.',
    '',
  ];
  const errors = [];
  if (results.baseline_error) errors.push(`- baseline failed: ${results.baseline_error}`);
  if (results.coffer?.error) errors.push(`- Coffer failed: ${results.coffer.error}`);
  if (results.coffer?.verify && !results.coffer.verify.ok) errors.push(`- Coffer verify: ${results.coffer.verify.output}`);
  if (b?.verify && !b.verify.ok) errors.push(`- baseline check: ${b.verify.problems.join('; ')}`);
  return [
    ...header,
    ...rows,
    '',
    ...(errors.length ? ['## Errors', '', ...errors, ''] : []),
    '## What limited throughput',
    '',
    ...lines.map((line) => `- ${line}`),
    '',
    ...profileSection(results),
  ].join('\n');
}

/** With --profile: each process's self time in the measured window, by package and by function. */
function profileSection(results) {
  const sets = [
    ['Coffer (the mix)', results.coffer?.load?.profiles],
    ['Coffer (posting only)', results.coffer?.posting?.profiles],
    ['baseline', results.baseline?.profiles],
  ].filter(([, profiles]) => profiles && Object.keys(profiles).length);
  if (!sets.length) return [];
  const out = ['## Where the CPU went (--profile, self time in the measured window, % of busy time)', ''];
  for (const [system, profiles] of sets) {
    for (const [name, summary] of Object.entries(profiles)) {
      out.push(`**${system} ${name}** — ${fmt(summary.busy_ms)} ms busy, ${fmt(summary.idle_percent)}% idle`, '');
      out.push(`- by package: ${summary.by_package.slice(0, 8).map((p) => `${p.name} ${p.percent}%`).join(', ')}`);
      out.push(`- by function: ${summary.by_function.slice(0, 8).map((f) => `\`${f.name}\` ${f.percent}%`).join(', ')}`);
      out.push('');
    }
  }
  return out;
}

// ---------------------------------------------------------------- SVG

function svg(results) {
  const c = results.coffer?.load;
  const b = results.baseline;
  const W = 960;
  const left = 70;
  const right = 20;
  const panelH = 220;
  const tops = [50, 50 + panelH + 70];
  const H = tops[1] + panelH + 70;
  const seconds = Math.max(c?.series.length ?? 0, b?.series.length ?? 0, 1);
  const x = (s) => left + ((s + 0.5) / seconds) * (W - left - right);
  const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [];
  const colors = { coffer: '#1f77b4', baseline: '#ff7f0e', lag: '#2ca02c', target: '#d62728' };

  function panel(top, title, yMax, yTicks, yOf, lines, targetValue, targetLabel) {
    parts.push(`<text x="${left}" y="${top - 12}" font-size="14" font-weight="bold">${esc(title)}</text>`);
    parts.push(`<rect x="${left}" y="${top}" width="${W - left - right}" height="${panelH}" fill="none" stroke="#999"/>`);
    for (const tick of yTicks) {
      const y = yOf(tick);
      parts.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="#eee"/>`);
      parts.push(`<text x="${left - 6}" y="${y + 4}" font-size="11" text-anchor="end">${esc(fmt(tick, tick < 1 ? 1 : 0))}</text>`);
    }
    const step = Math.max(1, Math.ceil(seconds / 12));
    for (let s = 0; s < seconds; s += step) {
      parts.push(`<text x="${x(s)}" y="${top + panelH + 16}" font-size="11" text-anchor="middle">${s}</text>`);
    }
    parts.push(`<text x="${(left + W - right) / 2}" y="${top + panelH + 34}" font-size="11" text-anchor="middle">second of the measured window</text>`);
    if (targetValue !== null && targetValue <= yMax) {
      const y = yOf(targetValue);
      parts.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="${colors.target}" stroke-dasharray="6 4"/>`);
      parts.push(`<text x="${W - right - 4}" y="${y - 4}" font-size="11" text-anchor="end" fill="${colors.target}">${esc(targetLabel)}</text>`);
    }
    for (const { values, color, dash } of lines) {
      const points = values.map((v, s) => (v === null || v === undefined ? null : `${x(s).toFixed(1)},${yOf(Math.min(v, yMax)).toFixed(1)}`));
      // Break the line where a second has no value.
      let run = [];
      const flush = () => {
        if (run.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${run.join(' ')}"/>`);
        if (run.length === 1) parts.push(`<circle cx="${run[0].split(',')[0]}" cy="${run[0].split(',')[1]}" r="2" fill="${color}"/>`);
        run = [];
      };
      for (const point of points) (point ? run.push(point) : flush());
      flush();
    }
  }

  // Throughput: linear scale from 0.
  const tput = [...(c?.series ?? []), ...(b?.series ?? [])].map((s) => s.committed);
  const tMax = niceMax(Math.max(TARGETS.committed * 1.05, ...tput, 1));
  const tTicks = Array.from({ length: 6 }, (_, i) => (tMax / 5) * i);
  const yT = (v) => tops[0] + panelH - (v / tMax) * panelH;
  panel(
    tops[0],
    'Committed transactions per second',
    tMax,
    tTicks,
    yT,
    [
      { values: c?.series.map((s) => s.committed) ?? [], color: colors.coffer },
      { values: b?.series.map((s) => s.committed) ?? [], color: colors.baseline },
    ],
    TARGETS.committed,
    `target ${fmt(TARGETS.committed)}/s`,
  );

  // Latency: log scale, so Coffer's milliseconds and the baseline's hundreds both read.
  const lat = [...(c?.series ?? []), ...(b?.series ?? [])].map((s) => s.p99_ms).filter((v) => v > 0);
  const lagSeries = c?.projector_lag?.series ?? [];
  const lMax = niceLogMax(Math.max(TARGETS.lag_p99_ms * 1.2, ...lat, ...lagSeries.filter((v) => v > 0), 1));
  const lMin = 0.5;
  const yL = (v) => tops[1] + panelH - (Math.log10(Math.max(v, lMin) / lMin) / Math.log10(lMax / lMin)) * panelH;
  const lTicks = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000].filter((t) => t <= lMax);
  panel(
    tops[1],
    'p99 latency per second, ms (log scale)',
    lMax,
    lTicks,
    yL,
    [
      { values: c?.series.map((s) => s.p99_ms) ?? [], color: colors.coffer },
      { values: b?.series.map((s) => s.p99_ms) ?? [], color: colors.baseline },
      { values: lagSeries, color: colors.lag, dash: '4 3' },
    ],
    TARGETS.p99_ms,
    `target p99 ${TARGETS.p99_ms} ms`,
  );

  const legend = [
    [colors.coffer, `Coffer (${fmt(c?.committed.per_second)} tx/s, p99 ${ms(c?.latency_ms.p99)} ms)`, ''],
    [colors.baseline, `baseline (${fmt(b?.committed.per_second)} tx/s, p99 ${ms(b?.latency_ms.p99)} ms)`, ''],
    [colors.lag, `Coffer projector lag p99 (${ms(c?.projector_lag?.lag_ms.p99)} ms)`, '4 3'],
  ];
  legend.forEach(([color, label, dash], i) => {
    const lx = left + i * 300;
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${H - 18}" y2="${H - 18}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    parts.push(`<text x="${lx + 30}" y="${H - 14}" font-size="12">${esc(label)}</text>`);
  });
  const title = `Coffer vs baseline — ${results.options.concurrency} virtual users, ${results.started_at}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function niceMax(value) {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * magnitude >= value) return m * magnitude;
  return 10 * magnitude;
}

function niceLogMax(value) {
  for (const m of [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]) if (m >= value) return m;
  return 100000;
}

// ---------------------------------------------------------------- files

function writeReport(results, dir, stamp) {
  fs.mkdirSync(dir, { recursive: true });
  const { targets, lines } = analysis(results);
  results.targets = Object.fromEntries(targets.map((t) => [t.name, { value: t.value, met: t.ok }]));
  results.limits = lines;
  const text = markdown(results);
  const paths = {
    json: path.join(dir, `bench-${stamp}.json`),
    markdown: path.join(dir, `bench-${stamp}.md`),
    svg: path.join(dir, `bench-${stamp}.svg`),
  };
  fs.writeFileSync(paths.json, JSON.stringify(results, null, 2));
  fs.writeFileSync(paths.markdown, `${text}\n![throughput and p99 latency per second](bench-${stamp}.svg)\n`);
  fs.writeFileSync(paths.svg, svg(results));
  return { markdown: text, paths };
}

module.exports = { writeReport, markdown, svg, analysis, TARGETS };
