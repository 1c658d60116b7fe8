/**
 * @module cel
 * One CEL module for package filters (docs/pko-compatibility.md §1.6), probes (§4.5) and CRD rules (§6.2), built on
 * @marcbachmann/cel-js with the Kubernetes libraries PKO enables: strings ext, lists, regex (RE2 semantics
 * through re2js) and URLs. Integral JSON numbers become CEL ints. Programs are compiled once and cached;
 * an expression whose static type is not bool is refused when compiling.
 */
import { Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import { TerminalError } from '../errors.js';
import { CelLimitError, instrument, withBudget } from './cost.js';
import { GO_SPLIT, RE2_MATCHES, registerKubernetesLibraries } from './libraries.js';

/** Which variables an expression sees. */
export type CelEnvKind = 'package' | 'probe' | 'rule';

/** A CEL expression that failed to compile or evaluate; terminal (the expression itself is wrong). */
export class CelError extends TerminalError {
  public override readonly name: string = 'CelError';
}

export interface CelProgram {
  readonly expression: string;
  /** The expression names `oldSelf`: a Kubernetes transition rule, skipped where there is no old value. */
  readonly isTransitionRule: boolean;
  /** Evaluate to a boolean; throws CelError when evaluation fails or yields a non-bool. */
  evaluate(variables: Readonly<Record<string, unknown>>): boolean;
}

/**
 * Upper bounds on untrusted expressions. The runtime cost budget per evaluation is Kubernetes' per-expression
 * limit (apiextensions PerCallLimit); strings are bounded by Kubernetes' request size (3 MiB).
 */
export const CEL_LIMITS = {
  runtimeCostBudget: 1_000_000,
  maxStringLength: 3 * 1024 * 1024,
  maxListLength: 100_000,
  maxExpressionLength: 10_240,
  maxAstNodes: 10_000,
  maxDepth: 64,
  maxCacheEntries: 1000,
} as const;

const variablesOf: Record<CelEnvKind, readonly string[]> = {
  // `package` is a reserved word in CEL: it is in the context but no expression can name it (docs/pko-compatibility.md §11).
  package: ['config', 'images', 'dependencies', 'environment', 'cond'],
  probe: ['self'],
  rule: ['self', 'oldSelf'],
};

function makeEnvironment(kind: CelEnvKind): Environment {
  const env = new Environment({
    homogeneousAggregateLiterals: false,
    limits: {
      maxAstNodes: CEL_LIMITS.maxAstNodes,
      maxDepth: CEL_LIMITS.maxDepth,
      maxListElements: 1000,
      maxMapEntries: 1000,
      maxCallArguments: 32,
    },
  });
  for (const name of variablesOf[kind]) env.registerVariable(name, 'dyn');
  registerKubernetesLibraries(env);
  return env;
}

const environments = new Map<CelEnvKind, Environment>();
function environment(kind: CelEnvKind): Environment {
  let env = environments.get(kind);
  if (env === undefined) {
    env = makeEnvironment(kind);
    environments.set(kind, env);
  }
  return env;
}

/** cel-go style text for a cel-js error: first line, lower-cased first letter (`reserved identifier: package`). */
function celMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split('\n')[0] ?? text;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

interface AstNode {
  readonly op: string;
  readonly args: unknown;
}

function isAstNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value;
}

/**
 * Walk the parsed AST: check every constant regex given to matches/find/findAll with RE2 (Kubernetes rejects
 * bad ones at compile time), and route `matches` to the RE2 implementation (cel-js' built-in uses JS RegExp,
 * which accepts look-arounds and refuses `(?i)`, unlike Kubernetes).
 */
function prepareRegexCalls(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) prepareRegexCalls(n);
    return;
  }
  if (!isAstNode(node)) return;
  if ((node.op === 'rcall' || node.op === 'call') && Array.isArray(node.args))
    prepareCall(node.op, node.args);
  prepareRegexCalls(node.args);
}

/** Whether the parsed AST reads the variable `name`. */
function namesVariable(node: unknown, name: string): boolean {
  if (Array.isArray(node)) return node.some((n) => namesVariable(n, name));
  if (!isAstNode(node)) return false;
  if (node.op === 'id') return node.args === name;
  return namesVariable(node.args, name);
}

/** One call node: `call` args are [name, params]; `rcall` args are [name, receiver, params]. */
function prepareCall(op: string, args: unknown[]): void {
  if (args[0] === 'matches') args[0] = RE2_MATCHES;
  if (args[0] === 'split' && op === 'rcall') args[0] = GO_SPLIT;
  const name: unknown = args[0];
  if (name !== RE2_MATCHES && name !== 'find' && name !== 'findAll') return;
  const params: unknown = op === 'rcall' ? args[2] : args[1];
  if (!Array.isArray(params)) return;
  const pattern: unknown = params.at(op === 'rcall' ? 0 : -1);
  if (isAstNode(pattern) && pattern.op === 'value' && typeof pattern.args === 'string')
    compileRe2(pattern.args);
}

/** Compile a regular expression with RE2 semantics; throws CelError with the RE2 message. */
export function compileRe2(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    throw new CelError(`error parsing regexp: ${celMessage(error)}`);
  }
}

/** Convert JSON input for CEL: integral numbers become ints (BigInt), recursively. */
export function toCelValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCelValue);
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCelValue(v)]));
  }
  return value;
}

function describeType(value: unknown): string {
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'double';
  if (typeof value === 'string') return 'string';
  if (value === null) return 'null_type';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'map' : typeof value;
}

/** The expression for a message: quoted, at most 200 characters. */
function quote(expression: string): string {
  return JSON.stringify(expression.length > 200 ? `${expression.slice(0, 200)}…` : expression);
}

function compileUncached(expression: string, kind: CelEnvKind): CelProgram {
  if (expression.length > CEL_LIMITS.maxExpressionLength) {
    throw new CelError(
      `CEL expression is ${expression.length} characters long; the limit is ${CEL_LIMITS.maxExpressionLength}`,
    );
  }
  const env = environment(kind);
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(expression);
  } catch (error) {
    throw new CelError(celMessage(error));
  }
  prepareRegexCalls(parsed.ast);
  const checked = parsed.check();
  if (!checked.valid) throw new CelError(celMessage(checked.error));
  if (checked.type !== 'bool' && checked.type !== 'dyn')
    throw new CelError(`invalid return type: ${checked.type}, expected bool`);
  const isTransitionRule = kind === 'rule' && namesVariable(parsed.ast, 'oldSelf');
  instrument(parsed.ast);
  return {
    expression,
    isTransitionRule,
    evaluate(variables): boolean {
      const context = Object.fromEntries(
        variablesOf[kind].map((name) => [name, toCelValue(variables[name] ?? {})]),
      );
      let result: unknown;
      try {
        result = withBudget(CEL_LIMITS, (): unknown => parsed(context));
      } catch (error) {
        if (error instanceof CelLimitError)
          throw new CelError(`CEL expression ${quote(expression)} ${error.message}`);
        throw new CelError(celMessage(error));
      }
      if (typeof result !== 'boolean')
        throw new CelError(`invalid return type: ${describeType(result)}, expected bool`);
      return result;
    },
  };
}

const cache = new Map<string, CelProgram>();

/** Compile (or fetch from the cache) a boolean expression for the given environment. Throws CelError. */
export function compileCel(expression: string, kind: CelEnvKind): CelProgram {
  const key = `${kind}\u0000${expression}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const program = compileUncached(expression, kind);
  cache.set(key, program);
  if (cache.size > CEL_LIMITS.maxCacheEntries) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return program;
}
