/**
 * @module devenv/binaries
 * The real components, built from their Go modules with the machine's Go toolchain, once, into a cache outside
 * the repository keyed by version (`$XDG_CACHE_HOME/gantry/bin/<name>-<version>/<name>`). Concurrent callers
 * build once (a lock directory); a build writes to a temporary file and renames, so a half-built binary is never
 * used. `KUBEBUILDER_ASSETS` (envtest's layout) is honoured for etcd and kube-apiserver.
 */
import { execFile as execFileCb } from 'node:child_process';
import { execErrorText } from './process.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

export const KUBERNETES_VERSION = 'v1.37.2';
export const ETCD_VERSION = 'v3.6.6';
export const KWOK_VERSION = 'v0.8.0';
export const REGISTRY_VERSION = 'v3.1.2';
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
/** go-containerregistry's `crane`: an independent OCI client for interoperability tests. */
export const CRANE_VERSION = 'v0.22.1';
/** The AWS Lambda Runtime Interface Emulator: the Lambda Runtime API, to run the bundled Lambda host under it. */
export const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d';

export const BINARY_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
  'registry',
  'minio',
  'crane',
  'pkoimage',
  'aws-lambda-rie',
] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];

/** The test helper that builds and reads package images with PKO's go-containerregistry calls. */
const PKOIMAGE_DIR = join(import.meta.dirname, '..', 'test', 'interop', 'pkoimage');

/** Version of the in-repo helper: a hash of its sources, so an edit rebuilds it. */
function pkoimageVersion(): string {
  const hash = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(PKOIMAGE_DIR, f)));
  return hash.digest('hex').slice(0, 12);
}

const KUBE_COMMANDS: readonly BinaryName[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
];

export function cacheRoot(): string {
  return join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'gantry');
}

function versionOf(name: BinaryName): string {
  if (name === 'kwok') return KWOK_VERSION;
  if (name === 'registry') return REGISTRY_VERSION;
  if (name === 'minio') return MINIO_VERSION;
  if (name === 'crane') return CRANE_VERSION;
  if (name === 'aws-lambda-rie') return RIE_VERSION;
  if (name === 'pkoimage') return pkoimageVersion();
  return name === 'etcd' ? ETCD_VERSION : KUBERNETES_VERSION;
}

/** Where a binary lives once built. */
export function binaryPath(name: BinaryName): string {
  const assets = process.env['KUBEBUILDER_ASSETS'];
  if (
    assets !== undefined &&
    assets !== '' &&
    (name === 'etcd' || name === 'kube-apiserver') &&
    existsSync(join(assets, name))
  ) {
    return join(assets, name);
  }
  return join(cacheRoot(), 'bin', `${name}-${versionOf(name)}`, name);
}

export class MissingToolchainError extends Error {
  public override readonly name = 'MissingToolchainError';
}

async function goBinary(): Promise<string> {
  try {
    await execFile('go', ['version']);
    return 'go';
  } catch {
    if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
    throw new MissingToolchainError(
      'The Go toolchain is needed to build the test binaries (etcd, kube-apiserver, …) and none was found on PATH.\n' +
        'Either install Go (https://go.dev/dl, or `apt-get install golang`), or point KUBEBUILDER_ASSETS at a folder\n' +
        'holding etcd and kube-apiserver (e.g. from `setup-envtest use 1.37`).',
    );
  }
}

async function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  log: (line: string) => void,
): Promise<void> {
  log(`$ ${cmd} ${args.join(' ')}`);
  try {
    await execFile(cmd, [...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    });
  } catch (error) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${execErrorText(error).text.slice(-4000)}`, {
      cause: error,
    });
  }
}

/** A lock directory; stale after 45 minutes (a crashed builder). */
async function withLock<T>(name: string, fn: () => Promise<T>, log: (line: string) => void): Promise<T> {
  const lock = join(cacheRoot(), 'locks', `${name}.lock`);
  await mkdir(join(cacheRoot(), 'locks'), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const info = await stat(lock).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > 45 * 60_000) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > 60 * 60_000) throw new Error(`timed out waiting for the build lock ${lock}`);
      if ((Date.now() - started) % 30_000 < 1000) log(`waiting for another process building ${name} …`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function kubeLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const vars: Record<string, string> = {
    gitVersion: KUBERNETES_VERSION,
    gitMajor: major ?? '1',
    gitMinor: minor ?? '37',
    gitTreeState: 'clean',
  };
  const pkgs = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
  return ['-s', '-w', ...pkgs.flatMap((p) => Object.entries(vars).map(([k, v]) => `-X ${p}.${k}=${v}`))].join(
    ' ',
  );
}

/** A throw-away module that requires k8s.io/kubernetes with one replace per staging module (its go.mod requires them at v0.0.0). */
async function kubernetesModule(go: string, log: (line: string) => void): Promise<string> {
  const dir = join(cacheRoot(), 'build', `kubernetes-${KUBERNETES_VERSION}`);
  if (existsSync(join(dir, 'go.sum')) && existsSync(join(dir, '.tidy'))) return dir;
  await mkdir(dir, { recursive: true });
  const { stdout } = await execFile(
    go,
    ['mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_VERSION}`],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const info: unknown = JSON.parse(stdout);
  const goMod =
    typeof info === 'object' && info !== null && 'GoMod' in info && typeof info.GoMod === 'string'
      ? info.GoMod
      : '';
  const staging = [...(await readFile(goMod, 'utf8')).matchAll(/^\s+(k8s\.io\/[a-z0-9-]+) v0\.0\.0$/gm)].map(
    (m) => m[1] ?? '',
  );
  const stagingVersion = `v0.${KUBERNETES_VERSION.slice(3)}`;
  const mod = [
    'module gantry.local/kubebuild',
    '',
    'go 1.25',
    '',
    `require k8s.io/kubernetes ${KUBERNETES_VERSION}`,
    '',
    ...staging.map((m) => `replace ${m} => ${m} ${stagingVersion}`),
    '',
  ].join('\n');
  await writeFile(join(dir, 'go.mod'), mod);
  const imports = KUBE_COMMANDS.map((c) => `\t_ "k8s.io/kubernetes/cmd/${c}"`).join('\n');
  await writeFile(join(dir, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport (\n${imports}\n)\n`);
  await run(go, ['mod', 'tidy'], dir, log);
  await writeFile(join(dir, '.tidy'), '');
  return dir;
}

async function etcdModule(go: string, log: (line: string) => void): Promise<string> {
  const dir = join(cacheRoot(), 'build', `etcd-${ETCD_VERSION}`);
  if (existsSync(join(dir, '.ready'))) return dir;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'go.mod'), 'module gantry.local/etcdbuild\n\ngo 1.25\n');
  await run(go, ['get', `go.etcd.io/etcd/server/v3@${ETCD_VERSION}`], dir, log);
  await writeFile(join(dir, '.ready'), '');
  return dir;
}

/** Modules that install cleanly with `go install pkg@version` (kwok, the distribution registry, MinIO). */
const GO_INSTALL: Partial<Record<BinaryName, string>> = {
  kwok: `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`,
  registry: `github.com/distribution/distribution/v3/cmd/registry@${REGISTRY_VERSION}`,
  minio: `github.com/minio/minio@${MINIO_VERSION}`,
  crane: `github.com/google/go-containerregistry/cmd/crane@${CRANE_VERSION}`,
  'aws-lambda-rie': `github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@${RIE_VERSION}`,
};

async function goInstall(
  go: string,
  name: BinaryName,
  pkg: string,
  target: string,
  log: (line: string) => void,
): Promise<void> {
  const gobin = `${target}.gobin-${process.pid}`;
  await mkdir(gobin, { recursive: true });
  log(`$ go install ${pkg}`);
  await execFile(go, ['install', '-trimpath', '-ldflags', '-s -w', pkg], {
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: unknown) => {
    throw new Error(`go install ${pkg} failed: ${execErrorText(error).text}`);
  });
  await rename(join(gobin, name), target);
  await rm(gobin, { recursive: true, force: true });
}

/** Folder of kwok's own stage configurations, shipped in its Go module. */
export async function kwokStageDir(): Promise<string> {
  const go = await goBinary();
  const { stdout } = await execFile(go, ['env', 'GOMODCACHE']);
  return join(stdout.trim(), 'sigs.k8s.io', `kwok@${KWOK_VERSION}`, 'kustomize', 'stage');
}

async function build(name: BinaryName, log: (line: string) => void): Promise<void> {
  const go = await goBinary();
  const target = binaryPath(name);
  const started = Date.now();
  if (name === 'pkoimage') {
    log('building the pkoimage interop helper (go-containerregistry, as PKO uses it) …');
    await mkdir(join(target, '..'), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    await run(go, ['build', '-trimpath', '-o', tmp, '.'], PKOIMAGE_DIR, log);
    await rename(tmp, target);
    return;
  }
  const installable = GO_INSTALL[name];
  if (installable !== undefined) {
    log(`building ${name} ${versionOf(name)} from its Go module (first time only) …`);
    await mkdir(join(target, '..'), { recursive: true });
    await goInstall(go, name, installable, target, log);
    log(`built ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${target}`);
    return;
  }
  log(
    `building ${name} ${versionOf(name)} from its Go module (first time only; kube-apiserver takes ~6 min on 2 cores) …`,
  );
  const dir = name === 'etcd' ? await etcdModule(go, log) : await kubernetesModule(go, log);
  const pkg = name === 'etcd' ? 'go.etcd.io/etcd/server/v3' : `k8s.io/kubernetes/cmd/${name}`;
  const ldflags = name === 'etcd' ? '-s -w' : kubeLdflags();
  await mkdir(join(target, '..'), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  await run(go, ['build', '-trimpath', '-ldflags', ldflags, '-o', tmp, pkg], dir, log);
  await chmod(tmp, 0o755);
  await rename(tmp, target);
  log(`built ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${target}`);
}

/** Make sure the binaries exist, building the missing ones one at a time. Returns their paths. */
export async function ensureBinaries(
  names: readonly BinaryName[],
  log: (line: string) => void = (l) => process.stderr.write(`[gantry env] ${l}\n`),
): Promise<Record<BinaryName, string>> {
  for (const name of names) {
    if (!existsSync(binaryPath(name)))
      await withLock(name, async () => (existsSync(binaryPath(name)) ? undefined : build(name, log)), log);
  }
  // Every name maps to its cache path; callers read only the names they asked for.
  const paths: Record<BinaryName, string> = {
    etcd: '',
    'kube-apiserver': '',
    'kube-controller-manager': '',
    'kube-scheduler': '',
    kubectl: '',
    kwok: '',
    registry: '',
    minio: '',
    crane: '',
    pkoimage: '',
    'aws-lambda-rie': '',
  };
  for (const name of BINARY_NAMES) paths[name] = binaryPath(name);
  return paths;
}
