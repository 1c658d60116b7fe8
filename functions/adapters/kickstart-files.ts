/**
 * @module adapters/kickstart-files
 * The file side of `gantry kickstart`: read each `-f` input as PKO does (`-` is stdin; a path that does not
 * exist is a glob; a folder gives its own `*.yaml` files in name order, not its subfolders), every read
 * size-limited; and write the new package folder, which must not exist yet.
 */
import { TerminalError } from '../../shared/errors.js';
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import picomatch from 'picomatch';

/** Limits on what kickstart reads. */
export const KICKSTART_LIMITS = {
  /** Largest single input: a file or stdin, bytes. */
  maxInputBytes: 16 * 1024 * 1024,
  /** Largest sum of all inputs, bytes. */
  maxTotalBytes: 64 * 1024 * 1024,
  /** Most files one input (a folder or a glob) may name. */
  maxFiles: 1000,
} as const;

export class InputError extends TerminalError {
  public override readonly name: string = 'InputError';
}

/** One text that was read, and the name it is reported under. */
export interface InputText {
  readonly source: string;
  readonly text: string;
  /** The file's name when it was found in a folder (PKO names such files in its errors). */
  readonly inFolder?: string;
}

/** Counts bytes across every input of one run. */
export interface ReadBudget {
  total: number;
}

function charge(budget: ReadBudget, bytes: number, source: string): void {
  if (bytes > KICKSTART_LIMITS.maxInputBytes)
    throw new InputError(`reading ${source}: ${bytes} bytes; the limit is ${KICKSTART_LIMITS.maxInputBytes}`);
  budget.total += bytes;
  if (budget.total > KICKSTART_LIMITS.maxTotalBytes)
    throw new InputError(
      `reading ${source}: the inputs exceed ${KICKSTART_LIMITS.maxTotalBytes} bytes in total`,
    );
}

/** Read stdin up to the limit. */
export async function readStdin(
  stdin: AsyncIterable<Uint8Array> | undefined,
  budget: ReadBudget,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stdin ?? []) {
    size += chunk.length;
    charge({ total: budget.total }, size, 'stdin');
    chunks.push(chunk);
  }
  charge(budget, size, 'stdin');
  return Buffer.concat(chunks).toString('utf8');
}

async function readLimited(path: string, shown: string, budget: ReadBudget): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new InputError(`reading ${shown}: ${error instanceof Error ? error.message : String(error)}`);
  }
  charge(budget, size, shown);
  return readFile(path, 'utf8');
}

const GLOB_META = /[*?[\\]/;

/** Go's filepath.Match syntax check: every `[` closed. */
function validPattern(pattern: string): boolean {
  let open = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i += 1;
    else if (c === '[') open = true;
    else if (c === ']') open = false;
  }
  return !open && !pattern.endsWith('\\');
}

/** Go's filepath.Glob: each segment with meta characters matched against a folder's entries. */
async function glob(cwd: string, pattern: string): Promise<string[]> {
  const segments = pattern.split('/');
  let bases = [pattern.startsWith('/') ? '/' : ''];
  for (const segment of segments.filter((s, i) => s !== '' || i > 0)) {
    if (!GLOB_META.test(segment)) {
      bases = bases.map((b) => (b === '' ? segment : join(b, segment)));
      continue;
    }
    const match = picomatch(segment, { dot: true });
    const next: string[] = [];
    for (const base of bases) {
      const entries = await readdir(resolve(cwd, base || '.')).catch(() => []);
      for (const e of entries.sort()) if (match(e)) next.push(base === '' ? e : join(base, e));
    }
    bases = next;
  }
  const out: string[] = [];
  for (const b of bases)
    if (
      await lstat(resolve(cwd, b)).then(
        () => true,
        () => false,
      )
    )
      out.push(b);
  return out;
}

async function expand(cwd: string, input: string): Promise<string[]> {
  if (
    await lstat(resolve(cwd, input)).then(
      () => true,
      () => false,
    )
  )
    return [input];
  if (!validPattern(input))
    throw new InputError(
      `expand pattern: pattern ${JSON.stringify(input)} is not valid: syntax error in pattern`,
    );
  const matches = GLOB_META.test(input) ? await glob(cwd, input) : [];
  if (matches.length === 0) throw new InputError(`expand pattern: ${input}: file does not exist`);
  if (matches.length > KICKSTART_LIMITS.maxFiles)
    throw new InputError(
      `expand pattern: ${input} names ${matches.length} files; the limit is ${KICKSTART_LIMITS.maxFiles}`,
    );
  return matches;
}

async function folderTexts(folder: string, shown: string, budget: ReadBudget): Promise<InputText[]> {
  const entries = (await readdir(folder, { withFileTypes: true })).filter(
    (e) => !e.isDirectory() && e.name.endsWith('.yaml'),
  );
  if (entries.length > KICKSTART_LIMITS.maxFiles)
    throw new InputError(
      `reading ${shown}: ${entries.length} files; the limit is ${KICKSTART_LIMITS.maxFiles}`,
    );
  const names = entries.map((e) => e.name).sort();
  const out: InputText[] = [];
  for (const name of names) {
    const source = join(shown, name);
    out.push({ source, text: await readLimited(join(folder, name), source, budget), inFolder: name });
  }
  return out;
}

/** The texts one `-f` value names (not `-`): a file, a folder's `*.yaml` files, or a glob's matches. */
export async function readInputPath(cwd: string, input: string, budget: ReadBudget): Promise<InputText[]> {
  const out: InputText[] = [];
  for (const match of await expand(cwd, input)) {
    const full = resolve(cwd, match);
    const info = await stat(full).catch((error: unknown) => {
      throw new InputError(`accessing: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (info.isDirectory()) out.push(...(await folderTexts(full, match, budget)));
    else out.push({ source: match, text: await readLimited(full, match, budget) });
  }
  return out;
}

/** Whether something exists at the path (PKO's preflight check). */
export async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: unknown) => {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/** Write the package folder; it must not exist yet. */
export async function writePackageFolder(folder: string, files: ReadonlyMap<string, string>): Promise<void> {
  await mkdir(folder);
  for (const [path, text] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const full = join(folder, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text, { flag: 'wx' });
  }
}
