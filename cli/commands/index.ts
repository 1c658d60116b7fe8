/**
 * @module cli/commands
 * Every `gantry` sub-command, in the order `gantry --help` lists them. Add a command by importing it here.
 */
import type { Command } from '../command.js';
import { buildCommand } from './build.js';
import { demoCommand } from './demo.js';
import { devCommand } from './dev.js';
import { renderCommand } from './render.js';
import { runCommand } from './run.js';
import { treeCommand } from './tree.js';
import { updateCommand } from './update.js';
import { validateCommand } from './validate.js';

export const commands: readonly Command[] = [
  validateCommand,
  treeCommand,
  renderCommand,
  buildCommand,
  updateCommand,
  runCommand,
  demoCommand,
  devCommand,
];
