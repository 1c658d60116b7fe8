/**
 * @module cel/cost
 * A Kubernetes-like runtime cost budget for one CEL evaluation. cel-js has none, so every node of a compiled
 * program is instrumented: evaluating a node costs 1, a call or operator also costs a tenth of the size of
 * its arguments (Kubernetes' traversal factor for strings and lists) and a tenth of the size of the string or
 * list it builds; a comprehension pays a tenth of the size of its range once. Comprehensions pay per iteration because their step nodes run per element. Results of
 * calls and operators are bounded in size. The budget is Kubernetes' per-expression limit (PerCallLimit).
 */

/** Sizes and budget of one evaluation. */
export interface CostLimits {
  readonly runtimeCostBudget: number;
  readonly maxStringLength: number;
  readonly maxListLength: number;
}

/** Why an evaluation was stopped; index.ts turns it into a CelError naming the expression. */
export class CelLimitError extends Error {
  public override readonly name: string = 'CelLimitError';
}

/** Operations that only read data: they cost 1 and their result is not charged or bounded (it is input). */
const READS = new Set(['id', 'value', '.', '.?', '[]', '[?]', 'accuValue']);

/**
 * Operations that pass a value through or grow a comprehension's accumulator in place: they cost 1, their
 * result is bounded but not charged by size (an accumulator would be charged again on every iteration).
 */
const PASS_THROUGH = new Set(['?:', '&&', '||', '!_', 'accuPush', 'accuInc', 'comprehension']);

/** The budget of the evaluation running now (evaluation is synchronous, so one at a time). */
class CostTracker {
  private spent = 0;
  /** Per open node: the size cost of its arguments so far (numbers, not objects: this runs per node). */
  private readonly frames: number[] = [];
  /** The first limit hit; kept because CEL's `all`/`exists` swallow errors of single elements. */
  public failure: CelLimitError | undefined;

  public constructor(public readonly limits: CostLimits) {}

  /** Open a frame for a node; returns the depth to unwind to when the node throws. */
  public enter(): number {
    return this.frames.push(0) - 1;
  }

  public unwind(depth: number): void {
    this.frames.length = depth;
  }

  public leave(op: string, result: unknown): void {
    const argumentCost = this.frames.pop() ?? 0;
    const size = sizeCost(result);
    const top = this.frames.length - 1;
    if (top >= 0) this.frames[top] = (this.frames[top] ?? 0) + size;
    if (READS.has(op)) {
      this.charge(1);
      return;
    }
    this.guard(() => {
      checkSize(result, this.limits);
    });
    if (PASS_THROUGH.has(op)) this.charge(1 + (op === 'comprehension' ? argumentCost : 0));
    else this.charge(1 + size + argumentCost);
  }

  public charge(cost: number): void {
    this.spent += cost;
    if (this.spent > this.limits.runtimeCostBudget) {
      this.fail(
        new CelLimitError(
          `exceeded the runtime cost limit of ${this.limits.runtimeCostBudget} (operation cancelled: actual cost limit exceeded)`,
        ),
      );
    }
  }

  public guard(check: () => void): void {
    try {
      check();
    } catch (error) {
      if (error instanceof CelLimitError) this.fail(error);
      throw error;
    }
  }

  private fail(error: CelLimitError): never {
    this.failure ??= error;
    throw this.failure;
  }
}

function sizeCost(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value) || value instanceof Uint8Array)
    return Math.ceil(value.length / 10);
  if (value instanceof Map || value instanceof Set) return Math.ceil(value.size / 10);
  return 0;
}

function checkSize(value: unknown, limits: CostLimits): void {
  if (typeof value === 'string') checkStringLength(value.length, limits);
  if (Array.isArray(value) && value.length > limits.maxListLength)
    throw new CelLimitError(
      `produced a list of ${value.length} elements; the limit is ${limits.maxListLength}`,
    );
}

function checkStringLength(length: number, limits: CostLimits): void {
  if (length > limits.maxStringLength)
    throw new CelLimitError(
      `produced a string of ${length} characters; the limit is ${limits.maxStringLength}`,
    );
}

let active: CostTracker | undefined;

/**
 * Called by library functions before they build a string of `length` characters, so an oversized result
 * is refused before it takes the memory. Outside an evaluation (no budget) it does nothing.
 */
export function reserveString(length: number): void {
  const tracker = active;
  if (tracker !== undefined)
    tracker.guard(() => {
      checkStringLength(length, tracker.limits);
    });
}

/** Run one evaluation under a fresh budget; a limit hit anywhere fails the evaluation, even if swallowed. */
export function withBudget<T>(limits: CostLimits, run: () => T): T {
  const previous = active;
  const tracker = new CostTracker(limits);
  active = tracker;
  try {
    const result = run();
    if (tracker.failure !== undefined) throw tracker.failure;
    return result;
  } catch (error) {
    throw tracker.failure ?? error;
  } finally {
    active = previous;
  }
}

type Evaluate = (ev: unknown, ast: unknown, ctx: unknown) => unknown;

interface NodeMeta {
  readonly evaluate?: unknown;
  readonly alternate?: unknown;
  readonly macro?: unknown;
}

interface EvaluableNode {
  readonly op: string;
  readonly args: unknown;
  readonly meta: NodeMeta;
  evaluate: Evaluate;
}

function isNode(value: unknown): value is EvaluableNode {
  return (
    typeof value === 'object' &&
    value !== null &&
    'op' in value &&
    typeof value.op === 'string' &&
    'meta' in value &&
    typeof value.meta === 'object' &&
    value.meta !== null &&
    'evaluate' in value &&
    typeof value.evaluate === 'function'
  );
}

function isEvaluate(value: unknown): value is Evaluate {
  return typeof value === 'function';
}

function hasEvaluate(value: unknown): value is { evaluate: Evaluate } {
  return typeof value === 'object' && value !== null && 'evaluate' in value && isEvaluate(value.evaluate);
}

/** Dispatch as cel-js' ASTNode.evaluate does, reading the meta at call time (type checks may replace it). */
function dispatch(node: EvaluableNode, ev: unknown, ctx: unknown): unknown {
  const meta = node.meta;
  if (hasEvaluate(meta.alternate)) return meta.alternate.evaluate(ev, meta.alternate, ctx);
  if (hasEvaluate(meta.macro)) return meta.macro.evaluate(ev, meta.macro, ctx);
  if (isEvaluate(meta.evaluate)) return meta.evaluate.call(node, ev, node, ctx);
  throw new CelLimitError(`cannot evaluate a ${node.op} node`);
}

function instrumentNode(node: EvaluableNode): void {
  const evaluate: Evaluate = (ev, _ast, ctx) => {
    const tracker = active;
    if (tracker === undefined) return dispatch(node, ev, ctx);
    const depth = tracker.enter();
    let result: unknown;
    try {
      result = dispatch(node, ev, ctx);
    } catch (error) {
      tracker.unwind(depth);
      throw error;
    }
    tracker.leave(node.op, result);
    return result;
  };
  Object.defineProperty(node, 'evaluate', { value: evaluate, writable: true, configurable: true });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Instrument every node of a checked program: the AST, macro expansions (`alternate`, `macro`) and the
 * comprehension parts (plain objects). Contexts and registries are class instances and are not entered.
 */
export function instrument(root: unknown): void {
  const seen = new Set<unknown>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      const items: readonly unknown[] = value;
      pending.push(...items);
    } else if (isNode(value)) {
      pending.push(value.args, value.meta.alternate, value.meta.macro);
      instrumentNode(value);
    } else if (isPlainObject(value)) {
      pending.push(...Object.values(value));
    }
  }
}
