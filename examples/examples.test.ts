/**
 * The example packages double as tests: each validates, and `gantry tree` / `gantry render` give exactly the
 * output committed in `examples/<name>/.golden/` (regenerate with GANTRY_UPDATE_GOLDEN=1 after a deliberate change).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGantry, type CliResult } from '../test/run-cli.js';

const root = import.meta.dirname;

async function run(args: string[]): Promise<CliResult> {
  return runGantry(args, { cwd: root });
}

function golden(example: string, file: string, actual: string): void {
  const path = join(root, example, '.golden', file);
  if (process.env['GANTRY_UPDATE_GOLDEN'] === '1') {
    mkdirSync(join(root, example, '.golden'), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const cases: { example: string; tree: string[]; render: string[] }[] = [
  {
    example: 'simple',
    tree: [],
    render: ['-n', 'shop', '--name', 'web', '--image', 'registry.example.com/simple:v1'],
  },
  {
    example: 'templated',
    tree: ['--config-testcase', 'prod'],
    render: ['--config-testcase', 'prod', '--image', 'registry.example.com/templated:v1'],
  },
  {
    example: 'multi',
    tree: ['--cluster'],
    render: ['--component', 'backend', '-n', 'multi', '--name', 'backend'],
  },
];

describe('examples', () => {
  for (const c of cases) {
    it(`${c.example}: validates`, async () => {
      expect(await run(['validate', c.example])).toEqual({
        code: 0,
        // PKO prints the success line without a trailing newline.
        stdout: 'Package validated successfully!',
        stderr: '',
      });
    });

    it(`${c.example}: tree matches the golden output`, async () => {
      const r = await run(['tree', c.example, ...c.tree]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      golden(c.example, 'tree.txt', r.stdout);
    });

    it(`${c.example}: render matches the golden output and is deterministic`, async () => {
      const first = await run(['render', c.example, ...c.render]);
      const second = await run(['render', c.example, ...c.render]);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(second.stdout).toBe(first.stdout);
      golden(c.example, 'render.yaml', first.stdout);
    });
  }

  it('multi: tree of the frontend component uses its first test case', async () => {
    const r = await run(['tree', 'multi', '--component', 'frontend']);
    expect(r.stdout).toBe(
      // Its deploy phase holds no object in this test case: PKO prints only phases that hold objects.
      'frontend\nPackage multi/shop\n└── Phase config\n    └── /v1, Kind=ConfigMap /shop-frontend\n',
    );
  });

  it('render -o json prints a List', async () => {
    const r = await run(['render', 'simple', '-o', 'json']);
    const list = JSON.parse(r.stdout) as {
      kind: string;
      items: { kind: string; metadata: { annotations: Record<string, string> } }[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.kind)).toEqual(['ObjectDeployment']);
    expect(list.items[0]!.metadata.annotations['package-operator.run/package-config']).toBe('null');
  });

  it('refuses --config-path together with --config-testcase', async () => {
    const r = await run(['tree', 'templated', '--config-path', 'x.yaml', '--config-testcase', 'dev']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Error: [config-path config-testcase] were all set\n' });
  });

  it('reports a config that violates the schema with the API server wording', async () => {
    const dir = join(root, '..', '.test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bad-config.yaml'), 'greeting: hi\nreplicas: 0\n');
    const r = await run(['tree', 'templated', '--config-path', join(dir, 'bad-config.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error: rendering package: spec.config.replicas: Invalid value: 0: replicas in body should be greater than or equal to 1\n',
    );
  });

  it('reads --config-path as the API server would (YAML 1.1, timestamps stay strings)', async () => {
    const dir = join(root, '..', '.test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'date-config.yaml'), 'greeting: 2024-01-01\nmonitoring: yes\n');
    const r = await run([
      'render',
      'templated',
      '--config-path',
      join(dir, 'date-config.yaml'),
      '-o',
      'json',
    ]);
    expect(r.stderr).toBe('');
    const od = (JSON.parse(r.stdout) as { items: { metadata: { annotations: Record<string, string> } }[] })
      .items[0]!;
    expect(od.metadata.annotations['package-operator.run/package-config']).toBe(
      '{"greeting":"2024-01-01","monitoring":true}',
    );
  });

  it('names an unknown component', async () => {
    expect((await run(['tree', 'multi', '--component', 'nope'])).stderr).toBe(
      'Error: rendering package: parsing package contents: Component not found [nope]\n',
    );
  });

  it('prints the package-config annotation with sorted keys', async () => {
    const r = await run(['render', 'templated', '--config-testcase', 'prod', '-o', 'json']);
    const od = (JSON.parse(r.stdout) as { items: { metadata: { annotations: Record<string, string> } }[] })
      .items[0]!;
    expect(od.metadata.annotations['package-operator.run/package-config']).toBe(
      '{"environment":"prod","greeting":"welcome","monitoring":true,"replicas":3}',
    );
  });
});
