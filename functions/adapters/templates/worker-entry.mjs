// The template worker's entry: run the TypeScript worker through tsx, as bin/gantry.mjs runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
