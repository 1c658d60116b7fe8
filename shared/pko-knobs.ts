/**
 * @module pko-knobs
 * The flags and environment variables of PKO v1.19.0's manager (`cmd/package-operator-manager`) that Gantry refuses
 * (PKO's HostedCluster knobs: on the hosts without watches only),
 * and why; and PKO's value syntax (Go durations, Go booleans) for the ones it takes. Every other knob of PKO's
 * manager works with PKO's meaning on `gantry run` and `gantry serve` (flags and environment) and on the Lambda host
 * (environment); the README's "PKO's knobs" table lists them all.
 */

const HOSTED_CLUSTERS =
  'only gantry run makes the Package of every HyperShift HostedCluster (it watches them); gantry serve and the Lambda host have no watches';

/** PKO's HostedCluster knobs: taken by `gantry run` (see shared/hypershift), refused by the hosts without watches. */
export const HOSTED_CLUSTER_FLAGS: readonly string[] = [
  'package-operator-package-image',
  'sub-component-affinity',
  'sub-component-tolerations',
];
export const HOSTED_CLUSTER_ENV: readonly string[] = [
  'PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE',
  'PKO_SUB_COMPONENT_AFFINITY',
  'PKO_SUB_COMPONENT_TOLERATIONS',
];
const BOOTSTRAP =
  'Gantry does not install itself from a package image: deploy it from deploy/ (kustomize) or as the Lambda function';

/** PKO manager flags Gantry refuses, with the reason it gives. */
export const REFUSED_FLAGS: Readonly<Record<string, string>> = {
  'enable-leader-election':
    'Gantry has no leader: every replica may run any key (each write is resourceVersion-guarded), and --shard I/N splits the keys between replicas; pass --enable-leader-election=false or leave it out',
  'pprof-addr':
    'Gantry serves no Go pprof endpoint; profile the Node.js process with node --cpu-prof or --inspect',
  'package-operator-package-image': HOSTED_CLUSTERS,
  'sub-component-affinity': HOSTED_CLUSTERS,
  'sub-component-tolerations': HOSTED_CLUSTERS,
  'self-bootstrap': BOOTSTRAP,
  'self-bootstrap-config': BOOTSTRAP,
};

/** PKO manager environment variables Gantry refuses when they are set (non-empty), with the reason. */
export const REFUSED_ENV: Readonly<Record<string, string>> = {
  PKO_PACKAGE_OPERATOR_PACKAGE_IMAGE: HOSTED_CLUSTERS,
  PKO_SUB_COMPONENT_AFFINITY: HOSTED_CLUSTERS,
  PKO_SUB_COMPONENT_TOLERATIONS: HOSTED_CLUSTERS,
  PKO_CONFIG: BOOTSTRAP,
};

/** The message a refused knob gets. */
export function refusal(knob: string, reason: string): string {
  return `${knob} is not supported: ${reason}`;
}

/** A Go boolean flag value (`strconv.ParseBool`); undefined when it is not one. */
export function goBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`time.ParseDuration`: `30s`, `1m30s`, `1.5h`, `500ms`, `0`) in milliseconds; undefined if invalid. */
export function goDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const whole =
    /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))*$/;
  if (!whole.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g))
    total += Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 0);
  return Math.round(total);
}
