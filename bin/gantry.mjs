#!/usr/bin/env node
// The `gantry` command. Runs the TypeScript sources through tsx, so `npx gantry …` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
