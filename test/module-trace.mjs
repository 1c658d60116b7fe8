// `node --import ./test/module-trace.mjs …` with GANTRY_MODULE_TRACE=<file>: appends the URL of every ES module the
// process resolves to that file, one per line (test/unit/bundle.test.ts: which modules a command loads).
import { register } from 'node:module';

const file = process.env.GANTRY_MODULE_TRACE;
if (file !== undefined && file !== '') {
  register('./module-trace-hooks.mjs', { parentURL: import.meta.url, data: { file } });
}
