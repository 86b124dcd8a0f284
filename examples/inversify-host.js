// A host application that uses inversify for itself and gets the Reexecer injected: the
// reexecerModule loads the plugin directories and binds Reexecer in the host's container.
//
//   node examples/inversify-host.js
import { fileURLToPath } from 'node:url';

import { Container } from 'inversify';
import { pino } from 'pino';
import { Reexecer, reexecerModule } from 'reexecer';

class Report {
  constructor(reexecer) {
    this.reexecer = reexecer;
  }
  async whoAmIInside() {
    const { value, durationMs } = await this.reexecer.reexec('whoami', { userns: true, namespaces: ['uts'], hostname: 'inside' });
    return { ...value, durationMs: Math.round(durationMs) };
  }
}

const container = new Container();
await container.loadAsync(
  reexecerModule({ plugins: [fileURLToPath(new URL('../plugins/dist', import.meta.url))], logger: pino({ level: 'warn' }) }),
);
container.bind(Report).toDynamicValue((ctx) => new Report(ctx.get(Reexecer))).inSingletonScope();

const report = container.get(Report);
const { uid, gid, userns, hostname, capEff, durationMs } = await report.whoAmIInside();
console.log(JSON.stringify({ uid, gid, userns, hostname, capEff, durationMs }));
