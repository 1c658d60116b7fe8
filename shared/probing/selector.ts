/**
 * @module probing/selector
 * metav1.LabelSelector matching (matchLabels AND matchExpressions with In, NotIn, Exists, DoesNotExist).
 * An empty selector matches everything, as in Kubernetes.
 */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string | undefined>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = labels[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? value !== undefined && values.includes(value)
        : e.operator === 'NotIn'
          ? value === undefined || !values.includes(value)
          : e.operator === 'Exists'
            ? value !== undefined
            : e.operator === 'DoesNotExist'
              ? value === undefined
              : false;
    if (!ok) return false;
  }
  return true;
}

/** The selector as a `labelSelector` query string (matchLabels only, plus set-based expressions). */
export function selectorString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

const SET_EXPRESSION = /^([^\s!=,()]+)\s+(in|notin)\s+\(([^()]*)\)$/;
const EQUALITY = /^([^\s!=,()]+)\s*(==|=|!=)\s*([^\s!=,()]*)$/;
const EXISTS = /^(!?)([^\s!=,()]+)$/;

/** The terms of a selector string: split on the commas that are not inside a set's parentheses. */
function selectorTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === ',' && depth === 0) {
      terms.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  terms.push(text.slice(start).trim());
  return terms.filter((t) => t !== '');
}

type Expression = NonNullable<LabelSelector['matchExpressions']>[number];

function parseTerm(term: string): { label: [string, string] } | { expression: Expression } | undefined {
  const set = SET_EXPRESSION.exec(term);
  if (set !== null) {
    const [, key = '', op, values = ''] = set;
    const list = values
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { expression: { key, operator: op === 'in' ? 'In' : 'NotIn', values: list } };
  }
  const eq = EQUALITY.exec(term);
  if (eq !== null) {
    const [, key = '', op, value = ''] = eq;
    return op === '!='
      ? { expression: { key, operator: 'NotIn', values: [value] } }
      : { label: [key, value] };
  }
  const exists = EXISTS.exec(term);
  if (exists !== null) {
    const [, not, key = ''] = exists;
    return { expression: { key, operator: not === '!' ? 'DoesNotExist' : 'Exists' } };
  }
  return undefined;
}

/**
 * A `labelSelector` query string (the forms {@link selectorString} writes, and `!=`) as a LabelSelector;
 * undefined for anything else, so a caller that cannot match it locally asks the API server instead.
 */
export function parseSelectorString(text: string): LabelSelector | undefined {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: Expression[] = [];
  for (const term of selectorTerms(text)) {
    const parsed = parseTerm(term);
    if (parsed === undefined) return undefined;
    if ('label' in parsed) {
      const [key, value] = parsed.label;
      if (matchLabels[key] !== undefined && matchLabels[key] !== value)
        matchExpressions.push({ key, operator: 'In', values: [] });
      else matchLabels[key] = value;
    } else matchExpressions.push(parsed.expression);
  }
  return { matchLabels, matchExpressions };
}
