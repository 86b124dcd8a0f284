// /proc probes shared by the suites.
import { readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat after the command name (field 3 first); throws when there is no such process. */
export function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * Whether the process that had `startTime` (field 22 of /proc/PID/stat) is gone: no entry,
 * a zombie or dead entry, or another process that reused the pid.
 */
export function processGone(pid, startTime) {
  let fields;
  try {
    fields = statFields(pid);
  } catch {
    return true;
  }
  return fields[0] === 'Z' || fields[0] === 'X' || fields[19] !== String(startTime);
}
