#!/usr/bin/env node
// The `gantry` command. Runs the TypeScript sources through tsx, so `npx gantry …` works right after `npm ci`.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on Node < 22 about its own future releases; that is for Gantry's maintainers (the lock file
// pins the SDK), not for someone running `gantry build --push s3://…`. An explicit setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
