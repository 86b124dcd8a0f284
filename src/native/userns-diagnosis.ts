import { existsSync, readFileSync, readlinkSync } from 'node:fs';

function readKnob(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Why the kernel refused a new user namespace, and the knob that changes it. The probes
 * are the ones bubblewrap's and podman's users meet: Debian's sysctl, the per-namespace
 * limit, Ubuntu's AppArmor restriction, a seccomp filter (Docker's default profile).
 */
export function diagnoseUserns(code: string): string {
  const root = process.geteuid!() === 0;
  if (!existsSync('/proc/self/ns/user'))
    return 'This kernel has no user namespaces (CONFIG_USER_NS is off); use a kernel built with them.';
  if (readKnob('/proc/sys/user/max_user_namespaces') === '0')
    return 'user.max_user_namespaces is 0, which forbids new user namespaces. Fix: sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/).';
  if (code === 'ENOSPC')
    return `The limit on user namespaces is reached (user.max_user_namespaces = ${readKnob('/proc/sys/user/max_user_namespaces') ?? '?'}), or namespaces are nested 32 deep. Raise it with sysctl -w user.max_user_namespaces=N or end processes that hold namespaces.`;
  if (!root && readKnob('/proc/sys/kernel/unprivileged_userns_clone') === '0')
    return 'kernel.unprivileged_userns_clone is 0, so only root may create user namespaces. Fix: sysctl -w kernel.unprivileged_userns_clone=1 (persist it in /etc/sysctl.d/).';
  if (!root && readKnob('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1')
    return 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1). Fix: give node an AppArmor profile with the "userns" permission, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0.';
  const seccomp = /^Seccomp:\s*(\d)/m.exec(readKnob('/proc/self/status') ?? '')?.[1];
  if (seccomp === '2')
    return 'A seccomp filter on this process refuses namespace creation (Docker\'s default profile does). Fix: run the container with --security-opt seccomp=unconfined or a profile that allows clone and clone3 with CLONE_NEWUSER, or use a privileged container.';
  if (code === 'EPERM' && isChrooted())
    return 'The process is chrooted, and a chrooted process may not create a user namespace.';
  return `The kernel refused with ${code} and none of the usual knobs explains it: check the namespace limits of the surrounding container or sandbox.`;
}

function isChrooted(): boolean {
  try {
    return readlinkSync('/proc/self/root') !== '/';
  } catch {
    return false;
  }
}
