/**
 * @module packages/labels
 * Kubernetes label validation (apimachinery `ValidateLabels`) with its messages.
 */
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A lowercase RFC 1123 subdomain of at most 253 characters (the names of most kinds, ServiceAccounts included). */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}
const NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function keyErrors(key: string): string[] {
  const errors: string[] = [];
  const parts = key.split('/');
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  if (parts.length > 2) return [`metadata.labels: Invalid value: ${JSON.stringify(key)}: ${NAME_MESSAGE}`];
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '')
      errors.push(`metadata.labels: Invalid value: ${JSON.stringify(key)}: prefix part must be non-empty`);
    else if (!isDns1123Subdomain(prefix)) {
      errors.push(
        `metadata.labels: Invalid value: ${JSON.stringify(key)}: prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      );
    }
  }
  if (name === '')
    errors.push(`metadata.labels: Invalid value: ${JSON.stringify(key)}: name part must be non-empty`);
  else if (byteLength(name) > 63)
    errors.push(
      `metadata.labels: Invalid value: ${JSON.stringify(key)}: name part must be no more than 63 bytes`,
    );
  else if (!NAME.test(name))
    errors.push(`metadata.labels: Invalid value: ${JSON.stringify(key)}: ${NAME_MESSAGE}`);
  return errors;
}

/** Kubernetes measures label lengths in bytes. */
function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

function valueErrors(value: string): string[] {
  if (value === '') return [];
  if (byteLength(value) > 63)
    return [`metadata.labels: Invalid value: ${JSON.stringify(value)}: must be no more than 63 bytes`];
  return NAME.test(value)
    ? []
    : [`metadata.labels: Invalid value: ${JSON.stringify(value)}: ${VALUE_MESSAGE}`];
}

/** Every problem with a label map, in key order. */
export function labelErrors(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => [...keyErrors(k), ...valueErrors(v)]);
}
