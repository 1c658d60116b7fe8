/**
 * @module packages/violation
 * PKO's ViolationError (docs/pko-compatibility.md §1.13): `<Reason>[ in <path>[ idx <n>]][ [<component>]][: <details>][\n<subject>]`.
 * A violation is a terminal problem with the package itself: it is shown to the user and never retried.
 */
import { TerminalError } from '../errors.js';

export interface ViolationFields {
  /** The reason, e.g. `Duplicate Object`, `Missing package-operator.run/phase Annotation`. */
  readonly reason: string;
  /** File path relative to the package root. */
  readonly path?: string;
  /** Document index inside a multi-document YAML file. */
  readonly index?: number;
  /** Component name, for multi-component packages. */
  readonly component?: string;
  /** Details after `: `. */
  readonly details?: string;
  /** A subject on its own line (e.g. the offending YAML document or object name). */
  readonly subject?: string;
}

/** Format one violation exactly as PKO does. */
export function formatViolation(v: ViolationFields): string {
  let out = v.reason;
  if (v.path !== undefined && v.path !== '') {
    out += ` in ${v.path}`;
    if (v.index !== undefined) out += ` idx ${v.index}`;
  }
  if (v.component !== undefined && v.component !== '') out += ` [${v.component}]`;
  if (v.details !== undefined && v.details !== '') out += `: ${v.details}`;
  if (v.subject !== undefined && v.subject !== '') out += `\n${v.subject}`;
  return out;
}

/** One or more violations of the package format; terminal (fix the package, then it is retried). */
export class ViolationError extends TerminalError {
  public override readonly name: string = 'ViolationError';
  public readonly violations: readonly ViolationFields[];

  public constructor(violations: ViolationFields | readonly ViolationFields[], options?: ErrorOptions) {
    const list: readonly ViolationFields[] = 'reason' in violations ? [violations] : violations;
    super(list.map(formatViolation).join(', '), options);
    this.violations = list;
  }
}
