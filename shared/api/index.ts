/**
 * @module api
 * Types of `package-operator.run/v1alpha1` (generated from deploy/crds) and of the package file formats
 * (generated from shared/api/schemas), plus constants and condition helpers.
 */
export type * from './generated/crds.js';
export type {
  PackageManifest,
  PackageManifestSpec,
  PackageManifestTest,
} from './generated/packagemanifest.js';
export type { PackageManifestLock } from './generated/packagemanifestlock.js';
export * from './constants.js';
export * from './conditions.js';
export { parsePackageManifest, parsePackageManifestLock, type ParseResult } from './manifest-schema.js';
