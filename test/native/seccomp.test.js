// The default filter's table (native/seccomp.cc) holds every syscall the security model
// promises to refuse; what refusing looks like is shown end to end in test/plugins/contain.test.js.
import test from 'ava';

import { seccompRefused } from '../../dist/native/in-child.js';

const PROMISED = [
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open',
  'userfaultfd', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'mount', 'umount2',
  'pivot_root', 'chroot', 'setns', 'unshare', 'reboot', 'swapon', 'swapoff', 'acct', 'quotactl', 'open_by_handle_at',
  'syslog', 'io_uring_setup', 'fsopen', 'fsmount', 'move_mount', 'open_tree',
  'name_to_handle_at', 'pidfd_getfd', 'kcmp',
];

test('the filter refuses every syscall the security model lists, each once', (t) => {
  const refused = seccompRefused();
  t.deepEqual(PROMISED.filter((name) => !refused.includes(name)), []);
  t.is(new Set(refused).size, refused.length);
});
