// `--profile`: the services run with --cpu-prof, and each .cpuprofile is cut to the measured
// window and summarised by package and by function (self time). That answers the "why" behind
// a process's CPU line: which library or which of our functions each request pays for.
// Profiling costs a little CPU itself, so a profiled run's throughput reads a few % low.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** Monotonic µs, the clock V8 stamps profile samples with (CLOCK_MONOTONIC on Linux). */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

function packageOf(url, functionName) {
  if (!url) return `(${functionName || 'native'})`.replace('((', '(').replace('))', ')');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const local = /(services\/[^/]+|libs\/[^/]+)/.exec(url);
  return local ? local[1] : url;
}

/** Self time by package and by function inside [fromUs, toUs], as % of the busy (non-idle) time. */
function summarizeProfile(file, fromUs = -Infinity, toUs = Infinity, top = 12) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] || 0;
    if (t < fromUs || t > toUs) continue;
    const id = profile.samples[i];
    const next = profile.timeDeltas[i + 1] ?? 0; // the sample stands for the time until the next one
    selfUs.set(id, (selfUs.get(id) || 0) + next);
  }
  const byPackage = {};
  const byFunction = {};
  let busy = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const pkg = packageOf(url, functionName);
    byPackage[pkg] = (byPackage[pkg] || 0) + us;
    const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(services|libs)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction[key] = (byFunction[key] || 0) + us;
  }
  const rank = (table) =>
    Object.entries(table)
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, percent: Number(((100 * us) / Math.max(busy, 1)).toFixed(1)) }));
  return {
    busy_ms: Math.round(busy / 1000),
    idle_percent: Number(((100 * idle) / Math.max(busy + idle, 1)).toFixed(1)),
    by_package: rank(byPackage),
    by_function: rank(byFunction),
  };
}

/** Summaries of every profile under `dir/<service>/` (one process each). */
function summarizeProfiles(dir, fromUs, toUs) {
  const out = {};
  if (!fs.existsSync(dir)) return out;
  for (const service of fs.readdirSync(dir)) {
    const files = fs.readdirSync(path.join(dir, service)).filter((file) => file.endsWith('.cpuprofile'));
    // A restarted service (cold starts) leaves several: the first one covers the measured run.
    files.sort();
    if (files.length) out[service] = summarizeProfile(path.join(dir, service, files[0]), fromUs, toUs);
  }
  return out;
}

module.exports = { monotonicUs, summarizeProfile, summarizeProfiles };
