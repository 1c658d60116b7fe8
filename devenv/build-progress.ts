/**
 * @module devenv/build-progress
 * How a long first build shows itself. Once at the start: what will be built and how long it should take.
 * On a terminal, one status line rewritten every second (step N of M, what runs, elapsed against expected);
 * otherwise one line when a step starts and one when it ends, so CI logs and pipes stay readable.
 */
import { formatDuration, type BuildPlan, type BuildUnit } from './build-plan.js';

export interface BuildProgress {
  planned(plan: BuildPlan): void;
  started(unit: BuildUnit): void;
  finished(unit: BuildUnit, ms: number): void;
  /** Every build ended (or failed): clear the status line. */
  done(): void;
}

export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Milliseconds; tests pass their own clock. */
  readonly now?: () => number;
  /** How often the status line is rewritten on a terminal (default 1000 ms). */
  readonly intervalMs?: number;
  /** The terminal's width: a longer status line is cut to it (default 120). */
  readonly columns?: number;
}

function describeUnit(unit: BuildUnit): string {
  return unit.binaries.join(', ');
}

function expectation(unit: BuildUnit): string {
  return `${unit.measured ? 'last build' : 'about'} ${formatDuration(unit.expectedMs)}`;
}

/** The text said once before a build starts. */
export function planText(plan: BuildPlan): string {
  const steps = plan.units.map(
    (u, i) =>
      `  ${i + 1}. ${describeUnit(u)} (${u.measured ? 'last build took' : 'about'} ${formatDuration(u.expectedMs)})`,
  );
  return [
    `First-time set-up: building ${plan.units.length} step${plan.units.length === 1 ? '' : 's'} from Go modules, expected to take ${formatDuration(plan.expectedMs)} in all (cached afterwards in ~/.cache/gantry):`,
    ...steps,
    '',
  ].join('\n');
}

/** The status line of a terminal: what runs now, step numbers, elapsed against expected. */
export function statusLine(
  plan: BuildPlan,
  running: ReadonlyMap<BuildUnit, number>,
  doneCount: number,
  startedAt: number,
  now: number,
): string {
  const parts = [...running].map(([unit, since]) => {
    const n = plan.units.indexOf(unit) + 1;
    return `[${n}/${plan.units.length}] ${describeUnit(unit)} ${formatDuration(now - since)} of ~${formatDuration(unit.expectedMs)}`;
  });
  const total = `${doneCount}/${plan.units.length} done, ${formatDuration(now - startedAt)} of ~${formatDuration(plan.expectedMs)}`;
  return `building: ${parts.join(' · ')} (${total})`;
}

/** Progress to a terminal or a log, as `output.isTTY` says. */
export function buildProgress(output: ProgressOutput): BuildProgress {
  const now = output.now ?? Date.now;
  const running = new Map<BuildUnit, number>();
  let plan: BuildPlan = { units: [], expectedMs: 0 };
  let startedAt = now();
  let doneCount = 0;
  let timer: NodeJS.Timeout | undefined;
  let shown = false;
  const redraw = (): void => {
    if (running.size === 0) return;
    const line = statusLine(plan, running, doneCount, startedAt, now());
    const width = (output.columns !== undefined && output.columns > 20 ? output.columns : 120) - 1;
    output.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    shown = true;
  };
  const clear = (): void => {
    if (shown) output.write('\r\x1b[2K');
    shown = false;
  };
  return {
    planned(p) {
      plan = p;
      startedAt = now();
      output.write(planText(p));
      if (output.isTTY) {
        timer = setInterval(redraw, output.intervalMs ?? 1000);
        timer.unref();
      }
    },
    started(unit) {
      running.set(unit, now());
      const n = plan.units.indexOf(unit) + 1;
      if (output.isTTY) redraw();
      else
        output.write(`[${n}/${plan.units.length}] building ${describeUnit(unit)} (${expectation(unit)}) …\n`);
    },
    finished(unit, ms) {
      running.delete(unit);
      doneCount += 1;
      const n = plan.units.indexOf(unit) + 1;
      clear();
      output.write(
        `[${n}/${plan.units.length}] built ${describeUnit(unit)} in ${formatDuration(ms)} (${formatDuration(now() - startedAt)} since the start)\n`,
      );
      if (output.isTTY) redraw();
    },
    done() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      clear();
    },
  };
}
