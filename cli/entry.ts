/**
 * @module cli/entry
 * The `gantry` process: bin/gantry.mjs runs this module, from the bundle (dist/gantry.mjs, scripts/bundle.ts) or
 * from the sources through tsx. Everything else is imported lazily by the command that runs.
 */
import { main } from './main.js';

// The AWS SDK warns on Node < 22 about its own future releases; that is for Gantry's maintainers (the lock file
// pins the SDK), not for someone running `gantry build --push s3://…`. An explicit setting wins.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
process.exitCode = await main(process.argv.slice(2));
