/**
 * @module packages
 * The package pipeline: RawPackage (files) → LoadedPackage (manifests, components) → RenderedPackage (phases of
 * objects), plus `validatePackage` for the CLI. Pure: templates render through the GoTemplateEngine port.
 */
export type { FileMap } from './files.js';
export { fileMapFromText, fileText } from './files.js';
export { formatViolation, ViolationError, type ViolationFields } from './violation.js';
export {
  isHiddenPath,
  loadPackage,
  loadRootComponent,
  selectComponent,
  type LoadedPackage,
  type PackageComponent,
  type RawPackage,
} from './structure.js';
export {
  admit,
  renderPackage,
  type Environment,
  type PackageEngines,
  type PackageMetadata,
  type RenderedPackage,
  type RenderedPhase,
  type RenderInput,
} from './render.js';
export {
  packageChecks,
  validatePackage,
  type PackageCheckOptions,
  type ValidateOptions,
  type ValidateResult,
} from './validate.js';
export { validateManifest, validateLock, lockConsistency } from './manifest-validation.js';
export { repositoryOf, applyPrefixOverrides, type ImagePrefixOverride } from './images.js';
export { comparePaths } from './objects.js';
