// node run-scenario.js <scenarios-module> <name> [json-arg]: runs one scenario of a suite's
// scenarios module (an absolute path, or one relative to the cwd) and prints its JSON
// result. The runs as nobody, as the CI user, under unshare or in another cwd go through here.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [module, name, arg] = process.argv.slice(2);
const { scenarios } = await import(pathToFileURL(resolve(module)).href);
const scenario = scenarios[name];
if (!scenario) {
  process.stderr.write(`unknown scenario ${name}\n`);
  process.exit(2);
}
const result = await scenario(arg ? JSON.parse(arg) : {});
process.stdout.write(`${JSON.stringify(result)}\n`);
// Children (a grandchild left behind, the logger, a sandboxed child's handles) must not
// keep this process alive.
process.exit(0);
