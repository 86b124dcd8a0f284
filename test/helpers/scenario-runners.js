// How a suite runs the scenarios of its scenarios module: in this ava worker, or in a fresh
// node process (run-scenario.js) as another user, after a prefix such as unshare, in a cwd.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { runJson } from './users.js';

const RUNNER = join(dirname(fileURLToPath(import.meta.url)), 'run-scenario.js');

/** runScenario and scenario for the scenarios module at `module` (an absolute path). */
export function scenarioRunners(module) {
  /**
   * Runs scenario `name` in a fresh node process (as `as`, after `prefix`, in `cwd`) and
   * returns its JSON result; rejects with the process's output when it fails.
   */
  function runScenario(name, arg = {}, { as = 'root', prefix = [], cwd } = {}) {
    return runJson([...prefix, process.execPath, RUNNER, module, name, JSON.stringify(arg)], { as, cwd, what: `scenario ${name}` });
  }

  /**
   * Runs a scenario as `as`: root in this ava worker (JSON round-tripped, as the runner
   * would print it), any other user in a node process under setpriv.
   */
  async function scenario(as, name, arg = {}) {
    if (as !== 'root') return runScenario(name, arg, { as });
    const { scenarios } = await import(pathToFileURL(module).href);
    return JSON.parse(JSON.stringify(await scenarios[name](arg)));
  }

  return { runScenario, scenario };
}
