/**
 * @module cli/version
 * What `gantry version`, `gantry --version` and `gantry run|serve --version` print: Gantry's version, the PKO release
 * whose behaviour it reproduces and the API groups it serves, as PKO's manager prints `pko <version>` first.
 */

/** Gantry's own version (package.json's; a unit test keeps the two equal). */
export const GANTRY_VERSION = '0.1.0';

/** The Package Operator release Gantry follows, and the API versions it serves. */
export const PKO_VERSION = 'v1.19.0';
export const SERVED_APIS = [
  'package-operator.run/v1alpha1',
  'manifests.package-operator.run/v1alpha1',
] as const;

/** One `name<TAB>value` line per fact, as Go's build info prints them. */
export function versionText(nodeVersion: string = process.version): string {
  return [
    `gantry\t${GANTRY_VERSION}`,
    `pko\t${PKO_VERSION}`,
    ...SERVED_APIS.map((api) => `api\t${api}`),
    `node\t${nodeVersion}`,
  ]
    .map((line) => `${line}\n`)
    .join('');
}
