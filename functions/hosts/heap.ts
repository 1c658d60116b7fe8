/**
 * @module hosts/heap
 * A full garbage collection on demand, for the memory bounds of unit tests and the hostile benchmark's host:
 * what a structure keeps, not garbage not yet collected. `--expose-gc` is set at run time and `gc` is taken from
 * a fresh context, so no process needs the flag on its command line.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: unknown;

/** Run a full collection (a no-op where the runtime refuses the flag); the first call takes `gc` once. */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc');
  }
  if (typeof gc === 'function') Reflect.apply(gc, undefined, []);
}

/** The heap bytes in use after a full collection. */
export function heapUsedAfterCollection(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}
