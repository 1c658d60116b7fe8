import { describe, expect, it } from 'vitest';
import { CLIENT_SIDE_MANAGERS, migratedManagedFields, unionFields } from './managed-fields.js';

const ALL = ['package-operator', ...CLIENT_SIDE_MANAGERS];

describe('client-side managers migrated to server-side apply', () => {
  it("folds kubectl's client-side entries and the engine's own create into one Apply entry", () => {
    const metadata = {
      name: 'cm',
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2026-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:data': { '.': {}, 'f:extra': {} },
            'f:metadata': { 'f:annotations': { 'f:kubectl.kubernetes.io/last-applied-configuration': {} } },
          },
        },
        {
          manager: 'package-operator',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { 'f:owner': {} } },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { 'f:x': {} } } },
        },
        {
          manager: 'package-operator',
          operation: 'Update',
          apiVersion: 'v1',
          subresource: 'status',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': {} },
        },
      ],
    };
    expect(migratedManagedFields(metadata, 'package-operator', 'v1', ALL)).toEqual([
      {
        manager: 'package-operator',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2026-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { '.': {}, 'f:extra': {}, 'f:owner': {} },
          'f:metadata': { 'f:annotations': { 'f:kubectl.kubernetes.io/last-applied-configuration': {} } },
        },
      },
      metadata.managedFields[2],
      metadata.managedFields[3],
    ]);
  });

  it('merges into an Apply entry that exists; only the managers asked for move', () => {
    const metadata = {
      name: 'cm',
      managedFields: [
        {
          manager: 'package-operator',
          operation: 'Apply',
          apiVersion: 'v1',
          time: 't1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { 'f:a': {} } },
        },
        {
          manager: 'package-operator',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { 'f:b': {} } },
        },
        {
          manager: 'before-first-apply',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { 'f:c': {} } },
        },
      ],
    };
    expect(migratedManagedFields(metadata, 'package-operator', 'v1', ['package-operator'])).toEqual([
      {
        manager: 'package-operator',
        operation: 'Apply',
        apiVersion: 'v1',
        time: 't1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } },
      },
      metadata.managedFields[2],
    ]);
  });

  it('nothing to migrate: server-side entries only, no managedFields, or not a list', () => {
    const applyOnly = {
      name: 'cm',
      managedFields: [{ manager: 'package-operator', operation: 'Apply', fieldsV1: {} }],
    };
    expect(migratedManagedFields(applyOnly, 'package-operator', 'v1', ALL)).toBeUndefined();
    expect(migratedManagedFields({ name: 'cm' }, 'package-operator', 'v1', ALL)).toBeUndefined();
    expect(
      migratedManagedFields({ name: 'cm', managedFields: 'x' }, 'package-operator', 'v1', ALL),
    ).toBeUndefined();
  });

  it('unionFields merges nested sets', () => {
    expect(unionFields({ 'f:a': { 'f:b': {} }, 'f:x': {} }, { 'f:a': { 'f:c': {} } })).toEqual({
      'f:a': { 'f:b': {}, 'f:c': {} },
      'f:x': {},
    });
  });
});
