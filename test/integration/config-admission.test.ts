/**
 * Differential test: Gantry's config admission (shared/schema, run in-process like PKO does) against the real
 * kube-apiserver validating the same structural schema as a CRD. Both must accept and refuse the same configs
 * with the same field errors. (The API server names fields from the object root, `spec.x in body`; PKO admits
 * config as its own root, `x in body`: the comparison strips that prefix.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admitConfig } from '../../shared/schema/index.js';
import type { KubeClient } from '../../devenv/kube.js';
import { testClient } from './setup/namespace.js';
import { waitFor } from '../../devenv/process.js';

const schema = {
  type: 'object',
  required: ['img'],
  properties: {
    img: { type: 'string' },
    replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
    mode: { type: 'string', enum: ['a', 'b'] },
    name: { type: 'string', pattern: '^[a-z]+$', minLength: 2, maxLength: 5 },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2, minItems: 1 },
    port: { 'x-kubernetes-int-or-string': true },
    level: { type: 'integer', multipleOf: 5 },
    nested: { type: 'object', properties: { ratio: { type: 'number', maximum: 1 } } },
  },
};

const configs: unknown[] = [
  { img: 'x' },
  {},
  { img: 'x', replicas: 0 },
  { img: 'x', replicas: 11 },
  { img: 'x', replicas: 'x' },
  { img: 'x', mode: 'c' },
  { img: 'x', name: 'A1' },
  { img: 'x', name: 'a' },
  { img: 'x', name: 'abcdef' },
  { img: 'x', tags: [] },
  { img: 'x', tags: ['a', 'b', 'c'] },
  { img: 'x', tags: [1] },
  { img: 'x', level: 7 },
  { img: 'x', port: true },
  { img: 'x', port: 'http' },
  { img: 'x', nested: { ratio: 2 } },
  { replicas: 0 },
];

let client: KubeClient;
const group = 'admission.gantry.test';

beforeAll(async () => {
  client = testClient();
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `configs.${group}` },
    spec: {
      group,
      scope: 'Cluster',
      names: { kind: 'Config', plural: 'configs', singular: 'config', listKind: 'ConfigList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: schema } } },
        },
      ],
    },
  };
  const r = await client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  expect(r.status).toBe(201);
  await waitFor(
    'CRD served',
    async () => (await client.get(`/apis/${group}/v1/configs`)).status === 200,
    30_000,
  );
});

afterAll(async () => {
  await client.delete(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/configs.${group}`);
});

function serverErrors(message: string | undefined): string[] {
  if (message === undefined) return [];
  const body = message.replace(/^Config\.admission\.gantry\.test "c" is invalid: /, '');
  const list = body.startsWith('[') ? body.slice(1, -1).split(/, (?=spec\.)/) : [body];
  return list.map((e) => e.replace(/: spec\.([^ ]+) in body/g, ': $1 in body'));
}

describe('config admission matches the API server', () => {
  for (const config of configs) {
    it(JSON.stringify(config), async () => {
      const r = await client.create(`/apis/${group}/v1/configs?dryRun=All`, {
        apiVersion: `${group}/v1`,
        kind: 'Config',
        metadata: { name: 'c' },
        spec: config,
      });
      const server = r.status === 201 ? [] : serverErrors((r.body as { message?: string }).message);
      const ours = admitConfig(schema, config, 'spec');
      expect(ours.errors).toEqual(server);
      if (r.status === 201) expect(ours.config).toEqual((r.body as { spec: unknown }).spec);
    });
  }
});
