import { readFileSync } from 'node:fs';

import type { Check } from './doctor.js';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

async function seccompCheck(): Promise<Check> {
  const name = 'default seccomp filter';
  const actions = read('/proc/sys/kernel/seccomp/actions_avail')?.split(/\s+/) ?? [];
  const missing = ['kill_process', 'errno', 'allow'].filter((a) => !actions.includes(a));
  if (missing.length)
    return { name, status: 'fail', detail: `the kernel lacks seccomp filter actions ${missing.join(', ')}`, fix: 'Use a kernel built with CONFIG_SECCOMP_FILTER (Linux 4.14 or later).' };
  const { seccompRefused } = await import('../native/in-child.js');
  return { name, status: 'ok', detail: `on unless a plugin or call says seccomp: false: ${seccompRefused().length} syscalls refused with EPERM (see README), clone3 ENOSYS, clone with namespace flags EPERM (so no nested sandbox), a foreign arch killed` };
}

async function landlockCheck(): Promise<Check> {
  const { landlockAbi, LANDLOCK_MIN_ABI } = await import('../native/landlock-abi.js');
  const abi = landlockAbi();
  const name = 'Landlock';
  if (abi >= LANDLOCK_MIN_ABI) return { name, status: 'ok', detail: `ABI ${abi}: every sandbox is scoped (no signals, no abstract unix sockets outside it); landlock: { read, write } is available` };
  return {
    name,
    status: 'warn',
    detail: `ABI ${abi} (scoping needs ${LANDLOCK_MIN_ABI}): sandboxes are not scoped (they can signal processes of the same host uid, the host included), and a declared landlock fails with landlock-unavailable`,
    fix: abi === 0 ? 'Use Linux 6.12 or later with "landlock" in the lsm= boot parameter.' : 'Use Linux 6.12 or later.',
  };
}

function limitsCheck(): Check {
  const v2 = read('/sys/fs/cgroup/cgroup.controllers');
  const cgroups = v2 === undefined ? 'cgroup v2 is not the unified hierarchy here' : `cgroup v2 controllers: ${v2 || 'none'}`;
  return {
    name: 'limits',
    status: 'ok',
    detail: `cpuMs, memoryBytes, fileSizeBytes, openFiles per process (rlimits); processes per sandbox user namespace (RLIMIT_NPROC, needs userns). ${cgroups}: no limit goes through a cgroup`,
  };
}

/** What doctor reports about containing hostile code on this machine. */
export async function containmentChecks(addonLoaded: boolean): Promise<Check[]> {
  if (!addonLoaded) return [limitsCheck()];
  return [await seccompCheck(), await landlockCheck(), limitsCheck()];
}
