{
  "variables": {
    # -Werror only in the project's own builds (npm run build:native): a user's newer
    # compiler may add a warning, which must not break an install.
    "reexecer_werror%": "false"
  },
  "targets": [
    {
      "target_name": "reexecer",
      "sources": [
        "native/addon.cc",
        "native/child.cc",
        "native/child_exit.cc",
        "native/errors.cc",
        "native/exit_watcher.cc",
        "native/extract.cc",
        "native/fd_passing.cc",
        "native/in_child.cc",
        "native/landlock.cc",
        "native/seccomp.cc",
        "native/spawn.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      # Every symbol bound at load: a lazy binding resolved in a spawned child (which shares
      # the host's memory and TLS until its exec) would run the dynamic linker there.
      "ldflags": ["-Wl,-z,now"],
      "conditions": [
        ["reexecer_werror=='true'", { "cflags_cc": ["-Werror"] }]
      ]
    }
  ]
}
