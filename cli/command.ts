/**
 * @module cli/command
 * The shape of one `gantry` sub-command. `cli/main.ts` dispatches `gantry <name> …` to the registry entry whose
 * `name` matches and loads that command only; each command parses its own flags (node:util parseArgs), prints `--help` from `usage`,
 * and returns the process exit code (0 success, 1 any error, as PKO's kubectl-package).
 */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly isTTY: boolean;
  /** Environment variables the command may read (DOCKER_CONFIG, AWS_*); tests pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Whether stderr is a terminal (progress is shown only then). */
  readonly stderrIsTTY?: boolean;
  /**
   * Standard input (`gantry kickstart -f -`), opened only when called: touching `process.stdin` would keep every
   * other command's process alive until stdin closes.
   */
  readonly stdin?: () => AsyncIterable<Uint8Array>;
  /** How the user started Gantry, for help texts: `gantry` (default) or `kubectl gantry` (as a kubectl plugin). */
  readonly program?: Program;
}

export type Program = 'gantry' | 'kubectl gantry';

export interface Command {
  /** The full `--help` text: synopsis, flags, examples. */
  readonly usage: string;
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

/**
 * One line of the command registry (cli/commands/index.ts): what `gantry --help` lists, and how to load the
 * command. Only the command that runs is imported, so `gantry tree` never loads the Kubernetes client or the
 * AWS SDK, and `gantry --help` loads no command at all.
 */
export interface CommandEntry {
  /** The first word after `gantry`, e.g. `render`, `dev`. */
  readonly name: string;
  /** Other names the command answers to (`repo` for `repository`). */
  readonly aliases?: readonly string[];
  /** One line for `gantry --help`. */
  readonly summary: string;
  load(): Promise<Command>;
}
