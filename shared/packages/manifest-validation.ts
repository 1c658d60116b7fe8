/**
 * @module packages/manifest-validation
 * PKO's semantic checks of a PackageManifest and its lock file (docs/pko-compatibility.md §1.3, §1.4), as Kubernetes
 * field errors (`spec.phases: Required value`), and the lock-file consistency violations.
 */
import { parseConstraint } from './pko-semver.js';
import type { PackageManifest } from '../api/generated/packagemanifest.js';
import type { PackageManifestLock } from '../api/generated/packagemanifestlock.js';
import { admitConfig, validateStructuralSchema } from '../schema/index.js';
import type { ViolationFields } from './violation.js';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

function uniqueNames(
  items: readonly { name?: string }[],
  path: string,
  errors: string[],
  checkEmpty: boolean,
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const name = item.name ?? '';
    if (checkEmpty && name === '') errors.push(`${path}[${i}].name: Invalid value: "": must be non empty`);
    else if (seen.has(name))
      errors.push(`${path}[${i}].name: Invalid value: ${JSON.stringify(name)}: must be unique`);
    seen.add(name);
  });
}

function validateSpec(manifest: PackageManifest, errors: string[]): void {
  const spec = manifest.spec;
  if ((spec?.scopes ?? []).length === 0) errors.push('spec.scopes: Required value');
  const phases = spec?.phases ?? [];
  if (phases.length === 0) errors.push('spec.phases: Required value');
  uniqueNames(phases, 'spec.phases', errors, false);
  (spec?.availabilityProbes ?? []).forEach((probe, i) => {
    if (probe.probes.length === 0) errors.push(`spec.availabilityProbes[${i}].probes: Required value`);
    // Stricter than PKO, whose manifest check lets it pass and whose ObjectDeployment the API server then refuses
    // (selector.kind is required by the CRD).
    if (probe.selector.kind === undefined)
      errors.push(`spec.availabilityProbes[${i}].selector.kind: Required value`);
  });
  const images = spec?.images ?? [];
  uniqueNames(images, 'spec.images', errors, true);
  images.forEach((image, i) => {
    if ((image.image ?? '') === '')
      errors.push(`spec.images[${i}].image: Invalid value: "": must be non empty`);
  });
  (spec?.constraints ?? []).forEach((constraint, i) => {
    const pv = constraint.platformVersion;
    if (pv === undefined) return;
    const path = `spec.constraints[${i}].platformVersion`;
    if ((pv.name ?? '') === '') errors.push(`${path}.name: Required value`);
    if ((pv.range ?? '') === '') errors.push(`${path}.range: Required value`);
    else if (!parseConstraint(pv.range ?? '').ok)
      errors.push(`${path}.range: Invalid value: ${JSON.stringify(pv.range)}: improper constraint`);
  });
}

function validateConfigAndTests(manifest: PackageManifest, errors: string[]): void {
  const schema = manifest.spec?.config?.openAPIV3Schema;
  if (schema !== undefined) errors.push(...validateStructuralSchema(schema));
  const cases = manifest.test?.template ?? [];
  cases.forEach((testCase, i) => {
    const name = testCase.name ?? '';
    const at = `test.template[${i}].name: Invalid value: ${JSON.stringify(name)}`;
    if (!CONFIG_KEY.test(name)) errors.push(`${at}: ${CONFIG_KEY_MESSAGE}`);
    // The name is a folder under .test-fixtures/: one safe path segment (Kubernetes' path segment rule).
    else if (name === '.' || name === '..') errors.push(`${at}: may not be '${name}'`);
    if (schema !== undefined)
      errors.push(
        ...admitConfig(schema, testCase.context?.config ?? {}, `test.template[${i}].context.config`).errors,
      );
  });
  const kubeconform = manifest.test?.kubeconform;
  if (kubeconform !== undefined && (kubeconform.kubernetesVersion ?? '') === '')
    errors.push('test.kubeconform.kubernetesVersion: Required value');
}

/** Field errors of a manifest (empty when valid). */
export function validateManifest(manifest: PackageManifest): string[] {
  const errors: string[] = [];
  if ((manifest.metadata?.name ?? '') === '') errors.push('metadata.name: Required value');
  validateSpec(manifest, errors);
  validateConfigAndTests(manifest, errors);
  return errors;
}

/** Field errors of a lock file (empty when valid). */
export function validateLock(lock: PackageManifestLock): string[] {
  const errors: string[] = [];
  const images = lock.spec?.images ?? [];
  uniqueNames(images, 'spec.images', errors, true);
  images.forEach((image, i) => {
    if ((image.image ?? '') === '')
      errors.push(`spec.images[${i}].image: Invalid value: "": must be non empty`);
    if ((image.digest ?? '') === '')
      errors.push(`spec.images[${i}].digest: Invalid value: "": must be non empty`);
  });
  return errors;
}

const MISSING =
  'Missing image in manifest.lock.yaml, but using PackageManifest.spec.images. Try running: kubectl package update';
const MISMATCH =
  'Image specified in manifest does not match with lockfile. Try running: kubectl package update';

/** Lock-file consistency with the manifest's `spec.images` (docs/pko-compatibility.md §1.4). */
export function lockConsistency(
  manifest: PackageManifest,
  lock: PackageManifestLock | undefined,
  component: string,
): ViolationFields[] {
  const images = manifest.spec?.images ?? [];
  if (images.length === 0 && lock === undefined) return [];
  if (lock === undefined) return [{ reason: MISSING, path: 'manifest.lock.yaml', component }];
  const locked = new Map((lock.spec?.images ?? []).map((i) => [i.name ?? '', i]));
  const violations: ViolationFields[] = [];
  for (const image of images) {
    const entry = locked.get(image.name ?? '');
    if (entry === undefined) violations.push({ reason: MISSING, details: image.name ?? '', component });
    else if (entry.image !== image.image) {
      violations.push({
        reason: MISMATCH,
        details: `"${image.name ?? ''}": "${image.image ?? ''}" vs "${entry.image ?? ''}"`,
        component,
      });
    }
  }
  const wanted = new Set(images.map((i) => i.name ?? ''));
  for (const name of locked.keys())
    if (!wanted.has(name)) violations.push({ reason: MISMATCH, details: name, component });
  return violations;
}
