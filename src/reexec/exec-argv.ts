// Flags that say what the program is or how this one process is watched, not how code
// loads: repeated in a child, `-e CODE` would run the host's code again (and that child's
// child, without end), `--inspect` would wait for a debugger or fight over its port.
// `--env-file` injects the host's secrets into an environment that is the caller's to give.
const DROPPED_WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '-pe', '--env-file', '--env-file-if-exists', '--inspect-port', '--debug-port', '--test-name-pattern', '--test-reporter', '--test-reporter-destination', '--watch-path', '--cpu-prof-dir', '--cpu-prof-name', '--heap-prof-dir', '--heap-prof-name', '--diagnostic-dir', '--redirect-warnings']);
const DROPPED = /^(-i|--interactive|-c|--check|--test|--watch|--input-type|--inspect|--debug|--prof|--cpu-prof|--heap-prof)(=|-|$)/;

/**
 * The node flags a re-executed child repeats: loaders and the like (`--import tsx`,
 * `--experimental-*`, `-r`), so that it can import what the host could.
 */
export function inheritedExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    if (DROPPED_WITH_VALUE.has(flag)) i++;
    else if (!DROPPED.test(flag) && !DROPPED_WITH_VALUE.has(flag.split('=')[0]!)) kept.push(flag);
  }
  return kept;
}
