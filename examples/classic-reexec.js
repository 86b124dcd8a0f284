// The containers/storage reexec pattern, unchanged: register functions by name, dispatch
// on argv[0] first thing at start-up, and start this same program under a name.
//
//   node examples/classic-reexec.js
import { command, init, register } from 'reexecer/reexec';

register('greet', () => {
  // Runs in the child: argv[0] is the name, the rest are command()'s args.
  console.log(`child ${process.pid} running as ${JSON.stringify(process.argv0)} with args ${JSON.stringify(process.argv.slice(2))}`);
});

if (init()) process.exit(0);

console.log(`parent ${process.pid}: starting greet`);
const child = command('greet', ['a', 'b'], { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('exit', (code) => {
  console.log(`parent: greet exited with ${code}`);
  process.exitCode = code ?? 1;
});
