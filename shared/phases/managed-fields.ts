/**
 * @module phases/managed-fields
 * Migration of client-side field managers to server-side apply, as client-go's csaupgrade and boxcutter do it:
 * the fields an `Update` entry of a client-side manager owns (kubectl's client-side apply, the entry kubectl leaves
 * before its first server-side apply, and the engine's own create, which is a POST) are folded into the engine's
 * `Apply` entry, and the client-side entries are dropped. Without it a field the package stops setting stays on the
 * object forever (its client-side owner keeps it), and an adopted object keeps fields the package never had.
 */
import { z } from 'zod';
import { isRecord } from '../api/objects.js';

/** Client-side managers whose fields server-side apply takes over, besides the engine's own `Update` entry. */
export const CLIENT_SIDE_MANAGERS: readonly string[] = ['kubectl-client-side-apply', 'before-first-apply'];

const ManagedFieldsEntry = z
  .object({
    manager: z.string().optional(),
    operation: z.string().optional(),
    apiVersion: z.string().optional(),
    time: z.string().optional(),
    fieldsType: z.string().optional(),
    fieldsV1: z.record(z.string(), z.unknown()).optional(),
    subresource: z.string().optional(),
  })
  .loose();
type ManagedFieldsEntry = z.infer<typeof ManagedFieldsEntry>;

const ManagedFields = z.array(ManagedFieldsEntry);

/**
 * Whether the object's `metadata.managedFields` hold an `Update` entry of the object itself (not a subresource): the
 * only entries a migration reads. Without one, `migratedManagedFields` has nothing to do, so a cache may drop the
 * field (most of a small object's size).
 */
export function hasObjectUpdateEntries(metadata: object): boolean {
  const parsed = ManagedFields.safeParse('managedFields' in metadata ? metadata.managedFields : undefined);
  return parsed.success && parsed.data.some((e) => e.operation === 'Update' && (e.subresource ?? '') === '');
}

/** The union of two FieldsV1 sets (nested `f:`/`k:`/`v:`/`i:` maps; `.` marks the node itself). */
export function unionFields(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key];
    out[key] = isRecord(mine) && isRecord(value) ? unionFields(mine, value) : value;
  }
  return out;
}

/**
 * The object's `metadata.managedFields` with the `Update` entries (of the object, not a subresource) of the managers
 * in `from` folded into `manager`'s `Apply` entry (for `apiVersion`), or undefined when there is nothing to migrate
 * (or the field is not the list the server writes).
 */
export function migratedManagedFields(
  metadata: object,
  manager: string,
  apiVersion: string,
  from: readonly string[],
): ManagedFieldsEntry[] | undefined {
  const parsed = ManagedFields.safeParse('managedFields' in metadata ? metadata.managedFields : undefined);
  if (!parsed.success) return undefined;
  const entries = parsed.data;
  const isClientSide = (e: ManagedFieldsEntry): boolean =>
    e.operation === 'Update' && (e.subresource ?? '') === '' && from.includes(e.manager ?? '');
  const clientSide = entries.filter(isClientSide);
  if (clientSide.length === 0) return undefined;
  const isOwnApply = (e: ManagedFieldsEntry): boolean =>
    e.manager === manager && e.operation === 'Apply' && (e.subresource ?? '') === '';
  const own = entries.find(isOwnApply);
  const fields = [...(own !== undefined ? [own] : []), ...clientSide].reduce<Record<string, unknown>>(
    (acc, e) => unionFields(acc, e.fieldsV1 ?? {}),
    {},
  );
  const migrated: ManagedFieldsEntry = {
    ...own,
    manager,
    operation: 'Apply',
    apiVersion: own?.apiVersion ?? apiVersion,
    fieldsType: 'FieldsV1',
    fieldsV1: fields,
    ...(own?.time !== undefined || clientSide[0]?.time !== undefined
      ? { time: own?.time ?? clientSide[0]?.time }
      : {}),
  };
  const rest = entries.filter((e) => !isClientSide(e) && !isOwnApply(e));
  return [migrated, ...rest];
}
