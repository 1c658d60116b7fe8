/**
 * @module pko-hash/spew
 * Go values and their `%#v` text as `go-spew` prints it with PKO's settings (`SortKeys`, `DisableMethods`,
 * `SpewKeys`; `Indent` does not apply to `Fprintf`). A value is written as `(type)value` unless it is an element
 * of a slice or map (or a map key), whose type is left out; a value inside an interface always shows its own type.
 * Structs print `{Field:(type)value ...}`, slices `[a b]`, maps `map[k:v ...]` sorted by key bytes, strings raw,
 * nil pointers, slices and maps `<nil>`, a pointer's type once as `(*T)` before the value it points at.
 */
import { compareGoStrings, goFloat } from './go-json.js';

export type GoValue =
  | { readonly k: 'string'; readonly type: string; readonly value: string }
  | { readonly k: 'bool'; readonly type: string; readonly value: boolean }
  | { readonly k: 'int'; readonly type: string; readonly value: bigint }
  | { readonly k: 'float'; readonly type: string; readonly value: number }
  /** `[]uint8`, printed as decimal bytes. */
  | { readonly k: 'bytes'; readonly type: string; readonly value: Uint8Array }
  | { readonly k: 'struct'; readonly type: string; readonly fields: readonly (readonly [string, GoValue])[] }
  /** `type` is the pointer's type (`*T`); `to` undefined is nil. */
  | { readonly k: 'ptr'; readonly type: string; readonly to: GoValue | undefined }
  /** `items` undefined is a nil slice. */
  | { readonly k: 'slice'; readonly type: string; readonly items: readonly GoValue[] | undefined }
  /** String-keyed map; `entries` undefined is a nil map. */
  | {
      readonly k: 'map';
      readonly type: string;
      readonly entries: readonly (readonly [string, GoValue])[] | undefined;
    }
  /** An interface; `value` undefined is a nil interface. */
  | { readonly k: 'iface'; readonly type: string; readonly value: GoValue | undefined };

function body(v: GoValue, out: string[]): void {
  switch (v.k) {
    case 'string':
      out.push(v.value);
      return;
    case 'bool':
    case 'int':
      out.push(String(v.value));
      return;
    case 'float':
      out.push(goFloat(v.value, 'g'));
      return;
    case 'bytes':
      out.push(`[${v.value.join(' ')}]`);
      return;
    case 'struct':
      out.push('{');
      v.fields.forEach(([name, f], i) => {
        out.push(i > 0 ? ` ${name}:` : `${name}:`);
        print(f, false, out);
      });
      out.push('}');
      return;
    case 'slice':
      if (v.items === undefined) {
        out.push('<nil>');
        return;
      }
      out.push('[');
      v.items.forEach((item, i) => {
        if (i > 0) out.push(' ');
        print(item, true, out);
      });
      out.push(']');
      return;
    case 'map': {
      if (v.entries === undefined) {
        out.push('<nil>');
        return;
      }
      out.push('map[');
      [...v.entries]
        .sort(([a], [b]) => compareGoStrings(a, b))
        .forEach(([key, value], i) => {
          out.push(i > 0 ? ` ${key}:` : `${key}:`);
          print(value, true, out);
        });
      out.push(']');
      return;
    }
    case 'ptr':
    case 'iface':
      return; // printed by print()
  }
}

function print(v: GoValue, elided: boolean, out: string[]): void {
  if (v.k === 'iface') {
    // spew unwraps an interface and forgets that its type was to be left out.
    if (v.value === undefined) out.push(`(${v.type})<nil>`);
    else print(v.value, false, out);
    return;
  }
  if (v.k === 'ptr') {
    if (v.to === undefined) out.push(elided ? '<nil>' : `(${v.type})<nil>`);
    else {
      out.push(elided ? '<*>' : `(${v.type})`);
      body(v.to, out);
    }
    return;
  }
  if (!elided) out.push(`(${v.type})`);
  body(v, out);
}

/** `spew.ConfigState{Indent: " ", SortKeys: true, DisableMethods: true, SpewKeys: true}.Sprintf("%#v", v)`. */
export function spewText(v: GoValue): string {
  const out: string[] = [];
  print(v, false, out);
  return out.join('');
}
