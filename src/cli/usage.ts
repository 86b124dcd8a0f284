export const USAGE: Record<string, string> = {
  main: `Usage: reexecer <command> [options]

Runs @Sandboxed plugins in a new user namespace, chroot and other namespaces.

Commands:
  list       List the plugins of the plugin directories
  run        Run one plugin and print its value as JSON
  doctor     Check that this machine can run sandboxes, and say how to fix what is missing
  manifest   Write reexecer.manifest.json for a plugin directory
  image-unpack  Unpack an image of an OCI image layout into a rootfs dir, rootless

Run 'reexecer <command> --help' for a command's options; 'reexecer --version' prints the version.`,
  list: `Usage: reexecer list [--plugins DIR]... [--json]

  --plugins DIR   A plugin directory (repeatable); default: the plugins shipped with reexecer
  --json          Print JSON instead of a table`,
  run: `Usage: reexecer run <id> [options] [-- ARGS...]

  --plugins DIR           A plugin directory (repeatable); default: the shipped plugins
  --chroot DIR            Chroot the child into DIR
  --userns                A new user namespace: your own uid and gid become 0; as root,
                          host ids 2146435072-2146500607 (never host root)
  --subids                A new user namespace with your /etc/subuid and /etc/subgid ranges
  --map-uid NS:HOST:SIZE  A uid mapping (repeatable; implies a user namespace)
  --map-gid NS:HOST:SIZE  A gid mapping (repeatable)
  --ns NAME               Also a uts, ipc, net, pid or mount namespace (repeatable)
  --file PATH             A file the plugin gets, opened before the chroot (repeatable)
  --timeout MS            Kill the child after MS milliseconds (at most 2147483647)
  --limit NAME=N          An rlimit of the child (repeatable): cpuMs, memoryBytes,
                          fileSizeBytes, openFiles or processes; it may only lower the
                          plugin's own; a child it stops fails with kind 'limit'
  --landlock read:PATH    Only these trees are accessible (repeatable; read:PATH or
                          write:PATH, as the sandbox sees them; Landlock ABI 6); they
                          may only narrow the plugin's own
  --allow-new-privileges  Do not set no_new_privs (it is set by default)
  --dangerously-map-host-root
                          Allow --map-uid/--map-gid to put host uid or gid 0 into the
                          namespace: its root then owns the host's root-owned files
  --log-level LEVEL       trace, debug, info (default), warn, error, fatal or silent

The plugin's value is printed as JSON on stdout; the child's logs go to stderr.`,
  doctor: `Usage: reexecer doctor [--json]

Checks kernel support for user namespaces and each sysctl that restricts them,
newuidmap/newgidmap, your /etc/subuid and /etc/subgid ranges, the native addon and
the Node.js version, and says how to fix what fails. Exits 1 when a check fails.`,
  manifest: `Usage: reexecer manifest <dir>

Imports every plugin under <dir> and writes <dir>/reexecer.manifest.json, which lets
hosts register the plugins without importing them.`,
  'image-unpack': `Usage: reexecer image-unpack <layout-dir> <ref> <rootfs-dir> [--userns | --subids | --map-uid NS:HOST:SIZE ... --map-gid ...]

Reads the OCI image layout <layout-dir> (index.json -> manifest <ref>, a ref name or a
digest -> config -> layers), then applies the layers in order to <rootfs-dir> (created if
missing; it must be empty) in a user namespace, chrooted into it. Every blob's sha256 is
checked against its descriptor and each layer's uncompressed sha256 against the config's
diff_ids while it streams; any mismatch fails. Layers may be plain, gzip or zstd tars;
OCI whiteouts are applied.

  --userns                Map your own uid and gid to 0 (the default)
  --subids                Your /etc/subuid and /etc/subgid ranges (newuidmap)
  --map-uid NS:HOST:SIZE  A uid mapping (repeatable); as root the rootfs goes to HOST of NS 0
  --map-gid NS:HOST:SIZE  A gid mapping (repeatable)
  --lenient               Go on past entries that cannot be applied (each a warning)
  --max-bytes N           Uncompressed bytes allowed per layer (default 32 GiB)

Prints a JSON summary on stdout; on a terminal, one progress line per layer on stderr.
Exits 1 when an entry cannot be applied or a digest does not match.`,
};
