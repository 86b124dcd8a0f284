import { readdirSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

import { capEff, inject, LOGGER, Sandboxed, type Logger, type SandboxedPlugin } from 'reexecer';

export interface WhoamiReport {
  uid: number;
  gid: number;
  /** The user namespace inode, or null where /proc is absent (inside a chroot). */
  userns: string | null;
  /** Effective capabilities as hex, like CapEff in /proc/self/status. */
  capEff: string;
  hostname: string;
  cwd: string;
  root: string[];
}

/** Reports who the child is and what it sees: the first thing to run when a setup misbehaves. */
@Sandboxed({ id: 'whoami' })
export class Whoami implements SandboxedPlugin {
  constructor(@inject(LOGGER) private readonly log: Logger) {}

  run(): WhoamiReport {
    let userns: string | null = null;
    try {
      userns = readlinkSync('/proc/self/ns/user');
    } catch {
      // chrooted: no /proc
    }
    const report = {
      uid: process.getuid!(),
      gid: process.getgid!(),
      userns,
      capEff: capEff().toString(16).padStart(16, '0'),
      hostname: hostname(),
      cwd: process.cwd(),
      root: readdirSync('/').sort(),
    };
    this.log.debug(report, 'whoami');
    return report;
  }
}
