// The environment a harness (the chaos run, the tests that run the built services as processes)
// gives the services it starts: what any process needs from the machine, plus the harness's own
// settings. Never the caller's whole environment: an EVENTSTORE_URL exported for the developer's
// own work would make the harness's ledgers append to that store (fencing its real writer), and a
// NATS_CA_FILE, COFFER_METRICS_PORT (two ledgers, one port), COFFER_REALM, PGSSLMODE, … would break
// or change the run. Plain JS, for chaos/; types in service-environment.d.ts.
'use strict';

/** Taken from the caller's environment when set: the program search path, the user, the locale, the time zone. */
const MACHINE_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR'];
const isMachineVariable = (name) => MACHINE_VARIABLES.includes(name) || name.startsWith('LC_');

/** The machine's variables from `parent`, then `own` (the harness's settings) over them. */
function serviceEnvironment(own, parent = process.env) {
  const env = {};
  for (const [name, value] of Object.entries(parent)) if (value !== undefined && isMachineVariable(name)) env[name] = value;
  return { ...env, ...own };
}

module.exports = { serviceEnvironment, MACHINE_VARIABLES };
