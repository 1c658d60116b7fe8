/**
 * @module kickstart
 * `gantry kickstart`'s pure part: objects (from manifest text or an OLM bundle) to the files of a new package.
 */
export {
  kickstart,
  kickstartReport,
  KickstartError,
  quoteObject,
  type KickstartResult,
  type ShowObject,
} from './kickstart.js';
export { objectsFromText, ManifestError } from './objects.js';
export { bundleObjects, BundleError, type Bundle } from './olm.js';
export { PARAMETRIZE_VALUES } from './presets.js';
export { goYaml } from './go-yaml.js';
