/**
 * @module triggers/webhook-config
 * The Validating- and MutatingWebhookConfigurations named `gantry`, for a URL (`gantry serve
 * --register-webhooks`, local use) or an in-cluster Service (deploy/). Three webhooks:
 * - `validate.gantry.run`: CREATE/UPDATE of every Gantry kind, failurePolicy Fail (bad input is refused);
 * - `trigger.gantry.run`: DELETE of every kind and UPDATE of their status, failurePolicy Ignore (a trigger only:
 *   a host that is down must never block a deletion; the schedule tick catches up);
 * - `mutate.gantry.run`: CREATE, finalizers, failurePolicy Ignore (the steps add them anyway).
 * All have sideEffects NoneOnDryRun: the only side effect is dispatching a key, skipped on dry runs.
 */
import { GROUP, KINDS, PKO_KINDS, VERSION } from '../api/constants.js';
import type { KubeObject } from '../ports.js';

export type WebhookTarget =
  | { readonly url: string }
  | { readonly service: { readonly namespace: string; readonly name: string; readonly port: number } };

export const WEBHOOK_CONFIGURATION_NAME = 'gantry';

function clientConfig(
  target: WebhookTarget,
  path: string,
  caBundle: string | undefined,
): Record<string, unknown> {
  const ca = caBundle !== undefined ? { caBundle: Buffer.from(caBundle).toString('base64') } : {};
  if ('url' in target) return { url: `${target.url.replace(/\/$/, '')}${path}`, ...ca };
  return { service: { ...target.service, path }, ...ca };
}

const plurals = PKO_KINDS.map((k) => KINDS[k].plural);

function rule(operations: string[], resources: string[]): Record<string, unknown> {
  return { apiGroups: [GROUP], apiVersions: [VERSION], operations, resources, scope: '*' };
}

function common(name: string, timeoutSeconds: number, failurePolicy: string): Record<string, unknown> {
  return {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds,
    failurePolicy,
    matchPolicy: 'Equivalent',
  };
}

/** The two configurations; `caBundle` is the PEM of the CA that signed the serving certificate. */
export function webhookConfigurations(target: WebhookTarget, caBundle?: string): KubeObject[] {
  const validating: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: WEBHOOK_CONFIGURATION_NAME, labels: { 'app.kubernetes.io/name': 'gantry' } },
    webhooks: [
      {
        ...common('validate.gantry.run', 5, 'Fail'),
        clientConfig: clientConfig(target, '/webhooks/validate', caBundle),
        rules: [rule(['CREATE', 'UPDATE'], plurals)],
      },
      {
        ...common('trigger.gantry.run', 2, 'Ignore'),
        clientConfig: clientConfig(target, '/webhooks/validate', caBundle),
        rules: [
          rule(['DELETE'], plurals),
          rule(
            ['UPDATE'],
            plurals.map((p) => `${p}/status`),
          ),
        ],
      },
    ],
  };
  const mutating: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: WEBHOOK_CONFIGURATION_NAME, labels: { 'app.kubernetes.io/name': 'gantry' } },
    webhooks: [
      {
        ...common('mutate.gantry.run', 2, 'Ignore'),
        reinvocationPolicy: 'Never',
        clientConfig: clientConfig(target, '/webhooks/mutate', caBundle),
        rules: [rule(['CREATE'], plurals)],
      },
    ],
  };
  return [validating, mutating];
}
