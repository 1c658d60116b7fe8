/**
 * @module cli/commands/version
 * `gantry version`: Gantry's version, the PKO release it follows and the API versions it serves.
 */
import type { Command } from '../command.js';
import { UsageError } from '../package-input.js';
import { versionText } from '../version.js';

const usage = `Print Gantry's version, the Package Operator release whose behaviour it reproduces, and the API versions
it serves (also: gantry --version, gantry run --version, gantry serve --version).

Usage:
  gantry version
`;

export const versionCommand: Command = {
  usage,
  run(argv, io) {
    if (argv.length > 0) throw new UsageError(`version takes no arguments, got "${argv.join(' ')}"`);
    io.stdout(versionText());
    return Promise.resolve(0);
  },
};
