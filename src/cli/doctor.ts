import { readFileSync, statSync } from 'node:fs';

import { readOwnSubIds } from '../native/subids.js';
import { parse } from './args.js';
import { containmentChecks } from './containment-checks.js';

type Status = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
}

function knob(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function sysctlChecks(): Check[] {
  const checks: Check[] = [];
  const max = knob('/proc/sys/user/max_user_namespaces');
  checks.push(
    max === undefined
      ? { name: 'user namespaces in the kernel', status: 'fail', detail: '/proc/sys/user/max_user_namespaces is missing', fix: 'Use a kernel built with CONFIG_USER_NS.' }
      : max === '0'
        ? { name: 'user.max_user_namespaces', status: 'fail', detail: '0: no user namespace may be created', fix: 'sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/)' }
        : { name: 'user.max_user_namespaces', status: 'ok', detail: max },
  );
  const clone = knob('/proc/sys/kernel/unprivileged_userns_clone');
  if (clone !== undefined)
    checks.push(
      clone === '1'
        ? { name: 'kernel.unprivileged_userns_clone', status: 'ok', detail: '1' }
        : { name: 'kernel.unprivileged_userns_clone', status: 'fail', detail: `${clone}: only root may create user namespaces`, fix: 'sysctl -w kernel.unprivileged_userns_clone=1' },
    );
  const apparmor = knob('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  if (apparmor !== undefined)
    checks.push(
      apparmor === '0'
        ? { name: 'kernel.apparmor_restrict_unprivileged_userns', status: 'ok', detail: '0' }
        : { name: 'kernel.apparmor_restrict_unprivileged_userns', status: 'fail', detail: `${apparmor}: AppArmor confines unprivileged user namespaces`, fix: 'Give node an AppArmor profile with "userns", or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' },
    );
  const seccomp = /^Seccomp:\s*(\d)/m.exec(knob('/proc/self/status') ?? '')?.[1];
  checks.push(
    seccomp === '2'
      ? { name: 'seccomp', status: 'warn', detail: 'a seccomp filter is active (a container?): it may refuse namespace creation', fix: 'If the probe below fails, run the container with a seccomp profile that allows clone and clone3 with CLONE_NEWUSER.' }
      : { name: 'seccomp', status: 'ok', detail: seccomp === '1' ? 'strict mode' : 'no filter' },
  );
  return checks;
}

async function probe(): Promise<Check> {
  try {
    const { spawnSandboxed } = await import('../native/spawn.js');
    const child = await spawnSandboxed({ file: '/bin/true', namespaces: ['user', 'mount', 'uts'], stdio: ['ignore', 'ignore', 'ignore'] });
    const exit = await child.exited;
    return exit.exitCode === 0
      ? { name: 'sandbox probe (user+mount+uts namespaces)', status: 'ok', detail: 'a child ran as namespace root' }
      : { name: 'sandbox probe (user+mount+uts namespaces)', status: 'fail', detail: `/bin/true exited with ${exit.exitCode ?? exit.signal}` };
  } catch (error) {
    const e = error as Error & { hint?: string };
    return { name: 'sandbox probe (user+mount+uts namespaces)', status: 'fail', detail: e.message.split('\n')[0]!, fix: e.hint };
  }
}

function helperCheck(helper: string): Check {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
    try {
      const stat = statSync(`${dir}/${helper}`);
      const setuid = (stat.mode & 0o4000) !== 0 && stat.uid === 0;
      return setuid
        ? { name: helper, status: 'ok', detail: `${dir}/${helper}, setuid root` }
        : { name: helper, status: 'warn', detail: `${dir}/${helper} is not setuid root`, fix: `chown root ${dir}/${helper} && chmod u+s ${dir}/${helper}` };
    } catch {
      // not in this directory
    }
  }
  return { name: helper, status: 'warn', detail: 'not installed: maps beyond your own id (userns: subids) are unavailable', fix: 'apt-get install uidmap (Fedora: shadow-utils)' };
}

async function subidChecks(): Promise<Check[]> {
  const { uids, gids } = await readOwnSubIds();
  const show = (ranges: { start: number; count: number }[]) => ranges.map((r) => `${r.start}+${r.count}`).join(', ');
  const fix = 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER';
  return [
    uids.length ? { name: '/etc/subuid', status: 'ok', detail: show(uids) } : { name: '/etc/subuid', status: 'warn', detail: `no range for uid ${process.geteuid!()}: only self maps unprivileged`, fix },
    gids.length ? { name: '/etc/subgid', status: 'ok', detail: show(gids) } : { name: '/etc/subgid', status: 'warn', detail: `no range for uid ${process.geteuid!()}: only self maps unprivileged`, fix },
  ];
}

async function addonCheck(): Promise<Check> {
  const { loadAddon, ADDON_HINT } = await import('../native/addon.js');
  try {
    const { path } = loadAddon();
    return { name: 'native addon', status: 'ok', detail: `${process.platform}-${process.arch}: ${path}` };
  } catch (error) {
    return { name: 'native addon', status: 'fail', detail: (error as Error).message.split('\n')[0]!, fix: ADDON_HINT };
  }
}

function nodeCheck(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20
    ? { name: 'Node.js', status: 'ok', detail: process.version }
    : { name: 'Node.js', status: 'fail', detail: `${process.version} is too old`, fix: 'Install Node.js 20 or later.' };
}

export async function runChecks(): Promise<Check[]> {
  const addon = await addonCheck();
  const loaded = addon.status === 'ok';
  return [
    nodeCheck(),
    addon,
    ...sysctlChecks(),
    ...(loaded ? [await probe()] : []),
    helperCheck('newuidmap'),
    helperCheck('newgidmap'),
    ...(await subidChecks()),
    ...(await containmentChecks(loaded)),
  ];
}

export async function doctor(argv: string[]): Promise<number> {
  const { values } = parse('doctor', argv, { json: { type: 'boolean' } });
  if (values.help) return -1;
  const checks = await runChecks();
  if (values.json) process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
  else
    for (const c of checks) {
      process.stdout.write(`${c.status === 'ok' ? 'ok  ' : c.status === 'warn' ? 'warn' : 'FAIL'}  ${c.name}: ${c.detail}\n`);
      if (c.fix && c.status !== 'ok') process.stdout.write(`      fix: ${c.fix}\n`);
    }
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}
