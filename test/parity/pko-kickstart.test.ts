/**
 * Parity of `gantry kickstart` with PKO v1.19.0's `kubectl package kickstart`: the same inputs (files, a folder,
 * a glob, every `--parametrize` value, bad input, and an OLM bundle image in a real registry) through both CLIs,
 * each in a fresh folder; exit code, stdout, stderr and the written tree must be equal byte for byte, after two
 * normalisations of PKO's nondeterminism: merge-block `define` names (random UUIDs in PKO, derived from the object
 * in Gantry) become `MARKER`, and availability probes and the "[WARN]" kinds (Go map order in PKO) are compared in
 * any order. Needs PKO's CLI (test/pko-cli.ts); without it the suite is skipped and says why.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type Registry } from '../../devenv/registry.js';
import { createPackageSource } from '../../functions/adapters/package-source.js';
import { PARAMETRIZE_VALUES } from '../../shared/kickstart/presets.js';
import { buildPackageImage } from '../../shared/oci/image.js';
import { bundleFiles } from '../olm-bundle.js';
import { locatePkoCli, normaliseKickstart as normalise, runBinary, sameLinesInAnyOrder } from '../pko-cli.js';
import { runGantry, type CliResult } from '../run-cli.js';

const cli = locatePkoCli();
if ('missing' in cli) console.warn(`\n!!! ${cli.missing} !!!\n`);
const pkoPath = 'path' in cli ? cli.path : '';

const work = mkdtempSync(join(tmpdir(), 'gantry-pko-kickstart-'));
let registry: Registry | undefined;
beforeAll(async () => {
  if ('missing' in cli) return;
  registry = await startRegistry();
  const image = await buildPackageImage(bundleFiles(), {}, '');
  await createPackageSource({ insecureHosts: [registry.host] }).push(image, [`${registry.host}/bundle:v1`]);
}, 120_000);
afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

const APP = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    spec:
      containers:
        - name: nginx
          image: nginx:1.25
          args: ["-g", "daemon off;"]
          env:
            - name: A
              value: "1"
          resources:
            limits:
              cpu: 100m
        - name: side
          image: busybox@sha256:aaaa
          args: []
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: shop
data:
  long: "a very long value with spaces that go-yaml folds once it passes the eightieth column of a line"
  yes: "on"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
subjects:
  - {kind: ServiceAccount, name: sa, namespace: shop}
  - {kind: User, name: bob}
roleRef: {kind: ClusterRole, name: x, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec: {}
---
apiVersion: example.com/v1
kind: Thing
metadata:
  name: t/1
  namespace: other
`;

/** A container whose first key is `env`: PKO's env merge block drops the list item's `-` there. */
const ENV_FIRST = APP.replace('          args: ["-g", "daemon off;"]\n', '');

const INPUTS: Record<string, string> = {
  'app.yaml': APP,
  'env-first.yaml': ENV_FIRST,
  'dir/b.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\n',
  'dir/a.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: shop\n',
  'dir/skip.yml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: yml\n',
  'dir/sub/c.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: nested\n',
  'no-kind.yaml':
    'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata:\n  name: bar\n',
  'no-name.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n',
  'duplicate.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
  'no-template.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2}\n',
};

type Snapshot = Record<string, string>;

function snapshot(dir: string, base = dir, out: Snapshot = {}): Snapshot {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) snapshot(full, base, out);
    else out[relative(base, full)] = normalise(readFileSync(full, 'utf8'));
  }
  return out;
}

interface Outcome extends CliResult {
  readonly files: Snapshot;
}

let counter = 0;
function freshInputs(who: string): string {
  const dir = join(work, String(counter), who);
  for (const [path, text] of Object.entries(INPUTS)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, 'exists'));
  return dir;
}

async function both(
  args: readonly string[],
  gantryExtra: readonly string[] = [],
): Promise<[Outcome, Outcome]> {
  counter += 1;
  const pkoDir = freshInputs('pko');
  const gantryDir = freshInputs('gantry');
  const pko = await runBinary(pkoPath, ['kickstart', ...args], {
    cwd: pkoDir,
    env: { HOME: join(work, 'home') },
  });
  const gantry = await runGantry(['kickstart', ...args, ...gantryExtra], { cwd: gantryDir });
  const outcome = (r: CliResult, dir: string): Outcome => ({
    ...r,
    files: snapshot(join(dir, args[0] ?? '')),
  });
  const pkoOutcome = outcome(pko, pkoDir);
  return [
    { ...pkoOutcome, stdout: sameLinesInAnyOrder(pko.stdout, gantry.stdout) ? gantry.stdout : pko.stdout },
    outcome(gantry, gantryDir),
  ];
}

const RUNS: [string, string[]][] = [
  ['a file', ['pkg', '-f', 'app.yaml']],
  ...PARAMETRIZE_VALUES.map((p): [string, string[]] => [`-p ${p}`, ['pkg', '-f', 'app.yaml', '-p', p]]),
  ['-p replicas,images (comma-separated)', ['pkg', '-f', 'app.yaml', '-p', 'replicas,images']],
  ['a folder (its *.yaml files only)', ['pkg', '-f', 'dir']],
  ['a glob', ['pkg', '-f', 'dir/*.yaml', '-f', 'app.yaml']],
  ['no input', ['pkg']],
  ['an existing folder', ['exists', '-f', 'app.yaml']],
  ['a missing file', ['pkg', '-f', 'missing.yaml']],
  ['a bad pattern', ['pkg', '-f', '[']],
  ['a missing kind', ['pkg', '-f', 'no-kind.yaml']],
  ['a missing name', ['pkg', '-f', 'no-name.yaml']],
  ['a duplicate object', ['pkg', '-f', 'duplicate.yaml']],
  [
    'a Deployment without a pod template, -p tolerations',
    ['pkg', '-f', 'no-template.yaml', '-p', 'tolerations'],
  ],
  ['a Deployment without a pod template, -p replicas', ['pkg', '-f', 'no-template.yaml', '-p', 'replicas']],
];

/** Where Gantry writes something else on purpose; a test checks each still differs. */
const KNOWN: [string, string[], string][] = [
  [
    '-p env on a container whose first key is env',
    ['pkg', '-f', 'env-first.yaml', '-p', 'env'],
    "PKO's merge block drops the list item's `-` and writes a package that does not parse; Gantry keeps it",
  ],
];

describe.skipIf('missing' in cli)(
  "PKO v1.19.0's kickstart and gantry kickstart write the same package",
  () => {
    for (const [name, args] of RUNS)
      it(name, async () => {
        const [pko, gantry] = await both(args);
        expect(gantry).toEqual(pko);
      });

    for (const [name, args, reason] of KNOWN)
      it(`${name} (known difference: ${reason})`, async () => {
        const [pko, gantry] = await both(args);
        expect(gantry.code).toBe(0);
        expect(gantry.files).not.toEqual(pko.files);
      });

    it('an OLM bundle image from a real registry (gantry needs --insecure for plain http)', async () => {
      const [pko, gantry] = await both(
        ['pkg', '-b', `${registry?.host ?? ''}/bundle:v1`, '-p', 'replicas'],
        ['--insecure'],
      );
      expect(gantry.stdout).toBe('Kickstarted the "example-operator" package with 7 objects.');
      expect(gantry).toEqual(pko);
    });
  },
);
