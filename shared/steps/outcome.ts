/**
 * @module steps/outcome
 * How a step, and the run of a key, ended: closed unions that logs and metrics label with; what went wrong is a
 * separate error message, never folded into the outcome.
 */

/** How a step ended: finished, moving on, waiting for the world, or failed (its error says why). */
export type StepOutcome = 'done' | 'progressing' | 'waiting' | 'failed';

/**
 * How running a key ended: the step's own outcome, or no step (`ignored`: not this host's; `gone`: the object is
 * not there), or its status write lost a resourceVersion race (`conflict`: run again) or failed.
 */
export type Outcome = StepOutcome | 'ignored' | 'gone' | 'conflict' | 'status-write-failed';
