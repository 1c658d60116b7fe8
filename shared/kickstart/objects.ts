/**
 * @module kickstart/objects
 * Kubernetes objects from manifest text, as PKO's loader reads them: trim leading and trailing `-` and newlines,
 * split on lines that are exactly `---`, skip empty documents, and require a string `kind` in each object.
 * Errors name the document's index (counting empty ones), as PKO's do.
 */
import { TerminalError } from '../errors.js';
import { goJson, parseYaml } from '../packages/yaml.js';

export class ManifestError extends TerminalError {
  public override readonly name: string = 'ManifestError';
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The documents of a manifest text, empty ones included (their index counts). */
function documents(text: string): string[] {
  const trimmed = text.replace(/^[-\n]+/, '').replace(/[-\n]+$/, '');
  return trimmed.split(/^---$/m);
}

/** The objects of a manifest text, in order; `echo: false` keeps the content out of errors (fetched text). */
export function objectsFromText(text: string, echo = true): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  documents(text).forEach((doc, index) => {
    const at = `unmarshalling yaml document at index ${index}`;
    const parsed = parseYaml(doc);
    if (!parsed.ok) {
      const line = parsed.line === undefined ? '' : `line ${parsed.line}: `;
      throw new ManifestError(`${at}: error converting YAML to JSON: yaml: ${line}${parsed.error}`);
    }
    const value = parsed.value;
    if (value === null || value === undefined) return;
    const shown = echo ? ` in '${goJson(value)}'` : '';
    if (!isMap(value))
      throw new ManifestError(`${at}: error unmarshaling JSON: document is not an object${shown}`);
    if (typeof value['kind'] !== 'string' || value['kind'] === '')
      throw new ManifestError(
        `${at}: error unmarshaling JSON: while decoding JSON: Object 'Kind' is missing${shown}`,
      );
    out.push(value);
  });
  return out;
}
