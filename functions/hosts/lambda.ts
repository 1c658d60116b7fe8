/**
 * @module hosts/lambda
 * The AWS Lambda host: one handler for Function URL requests (payload v2, answered by the same core router as
 * `gantry serve`, no HTTP framework), EventBridge schedules (the tick), ECR "Image Action" events (the registry
 * trigger) and its own asynchronous invokes (keys handed back). Config is parsed once per cold start; the
 * cluster connection comes from a kubeconfig in the environment, Secrets Manager or SSM, optionally with an EKS
 * token minted with the function's role. `@kubernetes/client-node` is never loaded; the Go template WASM only by
 * packages that have `.gotmpl` files.
 *
 * An admission request is answered first and never fails because of other work: its keys are handed back
 * (async invoke; a failed invoke is logged, the keys are in status for the tick) and the invocation ends. Other
 * triggers run their steps in this invocation while time is left, waiting for requeues due within a second;
 * keys due later stay in status for the schedule tick, so an object in a 30 s back-off costs the tick's
 * invocations and no self-invoking chain. Keys handed back carry their due time and run no earlier.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { errorMessage } from '../../shared/errors.js';
import { normaliseHeaders, type HttpRequest } from '../../webhooks/http.js';
import { fromEcr } from '../../webhooks/registry-events.js';
import { handleRequest } from '../../webhooks/router.js';
import {
  eksToken,
  invokeAsync,
  secretString,
  ssmParameter,
  type AwsCredentials,
  type AwsTarget,
} from '../adapters/aws.js';
import { createGoTemplateEngine } from '../adapters/gotmpl/index.js';
import { connectionFromKubeconfig } from '../adapters/kube/lite-kubeconfig.js';
import { KubePages } from '../adapters/kube/pages.js';
import { lambdaEnv, type LambdaEnv } from '../config.js';
import { createEngine, type Engine } from './engine.js';
import { HOSTED_CLUSTER_LOOKUP_TTL_MS } from '../../shared/hypershift/target-clusters.js';
import { hostedClusterServing, keyOf, refOfKey, routerDeps, TriggerCore, whoAmI } from './triggers.js';
import type { RouterDeps } from '../../webhooks/router.js';
import { admissionAuth } from '../../webhooks/admission-auth.js';

export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/** Time kept back at the end of an invocation to hand keys back. */
const HANDBACK_MARGIN_MS = 3_000;
/** EKS tokens live 15 minutes; a new one is minted after this. */
const TOKEN_TTL_MS = 10 * 60_000;

const functionUrlEvent = z.object({
  version: z.literal('2.0'),
  rawPath: z.string(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({ http: z.object({ method: z.string() }) }),
});
const scheduledEvent = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
const handBackEvent = z.object({
  gantry: z.literal('run'),
  keys: z
    .array(z.union([z.string(), z.object({ key: z.string(), at: z.number().int().nonnegative() })]))
    .max(10_000),
});
/** Keys handed back: each with the time (ms since the epoch) it is due. */
export type DueKey = { readonly key: string; readonly at: number };
/** A key admission triggers runs this long after the answer (the API server stores the object after it). */
const ADMISSION_KEY_DELAY_MS = 500;

export interface LambdaHost {
  readonly engine: Engine;
  readonly core: TriggerCore;
  handle(event: unknown, context?: LambdaContext): Promise<unknown>;
}

async function kubeconfigText(env: LambdaEnv): Promise<string> {
  const source = env.kubeconfig;
  if (source.kind === 'inline') return source.text;
  if (env.region === undefined || env.credentials === undefined)
    throw new Error('reading the kubeconfig from AWS needs AWS_REGION and credentials');
  return source.kind === 'secret'
    ? secretString(source.id, awsTarget(env.region, env.credentials, env.endpoints.secretsmanager))
    : ssmParameter(source.name, awsTarget(env.region, env.credentials, env.endpoints.ssm));
}

function awsTarget(region: string, credentials: AwsCredentials, endpoint: string | undefined): AwsTarget {
  return { region, credentials, ...(endpoint !== undefined ? { endpoint } : {}) };
}

function tokenMinter(env: LambdaEnv): (() => Promise<string>) | undefined {
  const cluster = env.eksCluster;
  const region = env.region;
  const credentials = env.credentials;
  if (cluster === undefined) return undefined;
  if (region === undefined || credentials === undefined)
    throw new Error('GANTRY_EKS_CLUSTER needs AWS_REGION and credentials');
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (cached === undefined || Date.now() - cached.at > TOKEN_TTL_MS)
      cached = { token: await eksToken(cluster, region, credentials), at: Date.now() };
    return cached.token;
  };
}

function defaultWasmDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'gotmpl');
}

/** Build the host from the parsed environment (once per cold start). */
export async function createLambdaHost(env: LambdaEnv): Promise<LambdaHost> {
  const connection = connectionFromKubeconfig(await kubeconfigText(env), tokenMinter(env));
  const engine = await createEngine({
    connection,
    parsedEnv: env.engine,
    registryHostOverrides: env.registryHostOverrides,
    prefixOverrides: env.prefixOverrides,
    impersonation: env.impersonation,
    engines: { gotmpl: createGoTemplateEngine({ wasmDir: env.wasmDir ?? defaultWasmDir() }) },
    // Many hosted clusters, watch-less as `gantry serve --hosted-clusters`: looked up when a phase's step runs.
    ...(env.hostedClusterTargets !== undefined
      ? {
          hostedClusterTargets: {
            ...env.hostedClusterTargets,
            lookup: { ttlMs: HOSTED_CLUSTER_LOOKUP_TTL_MS },
          },
        }
      : {}),
  });
  const log = (m: string): void => {
    process.stderr.write(`${m}\n`);
  };
  const core = new TriggerCore({
    deps: { ...engine.deps, phaseClasses: env.phaseClasses },
    ...(env.hostedClusterTargets !== undefined ? hostedClusterServing(env.phaseClasses) : {}),
    pages: new KubePages(engine.client),
    concurrency: 8,
    namespace: env.namespace,
    fullResyncMs: env.fullResyncMs,
    admissionBudgetMs: env.admissionBudgetMs,
    log,
  });
  const selfUsername = await whoAmI(engine.client);
  const admissionKeys: string[] = [];
  const router = routerDeps(engine, core, {
    eventsAuth: env.eventsAuth,
    admissionBudgetMs: env.admissionBudgetMs,
    selfUsername,
    admissionDispatch: (ref) => {
      admissionKeys.push(keyOf(ref));
    },
    ready: () => true,
    // The Function URL is public: with tokens configured, only the API server's requests reach admission.
    ...(env.admissionTokens.length > 0
      ? { admissionAuth: admissionAuth({ clientCertificate: false, tokens: env.admissionTokens }) }
      : {}),
  });
  const target =
    env.functionName !== undefined && env.region !== undefined && env.credentials !== undefined
      ? { name: env.functionName, aws: awsTarget(env.region, env.credentials, env.endpoints.lambda) }
      : undefined;
  const handBack =
    target === undefined
      ? undefined
      : async (keys: readonly DueKey[]): Promise<void> => {
          await invokeAsync(target.name, { gantry: 'run', keys }, target.aws);
        };
  const handle = invocationHandler({ core, router, admissionKeys, log, ...(handBack ? { handBack } : {}) });
  return { engine, core, handle };
}

export interface InvocationDeps {
  readonly core: TriggerCore;
  readonly router: RouterDeps;
  /** Where the router's admission dispatch puts its keys (filled while a request is answered). */
  readonly admissionKeys: string[];
  /** An async invoke of this function with keys; undefined: none can be made (keys wait for the tick). */
  readonly handBack?: (keys: readonly DueKey[]) => Promise<void>;
  readonly log: (message: string) => void;
  readonly now?: () => number;
}

/** The invocation logic of the Lambda host, over a trigger core (what `createLambdaHost` wires). */
export function invocationHandler(
  deps: InvocationDeps,
): (event: unknown, context?: LambdaContext) => Promise<unknown> {
  const { core, router, admissionKeys, log } = deps;
  const now = deps.now ?? Date.now;

  /** Hand keys back; a failure (a throttled invoke) is logged, never thrown: the keys are in status. */
  const handBack = async (keys: readonly DueKey[]): Promise<void> => {
    if (keys.length === 0) return;
    if (deps.handBack === undefined) {
      log(`${keys.length} keys left for the schedule tick (no function to hand them back to)`);
      return;
    }
    try {
      await deps.handBack(keys);
    } catch (error) {
      log(
        `handing ${keys.length} keys back failed, they are left for the schedule tick: ${errorMessage(error)}`,
      );
    }
  };

  const finish = async (context: LambdaContext | undefined): Promise<void> => {
    const remaining = context?.getRemainingTimeInMillis() ?? 60_000;
    const left = await core.drain(now() + Math.max(0, remaining - HANDBACK_MARGIN_MS));
    await handBack(left.map(([key, at]) => ({ key, at })));
  };

  const http = async (
    event: z.infer<typeof functionUrlEvent>,
    context: LambdaContext | undefined,
  ): Promise<unknown> => {
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    const request: HttpRequest = {
      method: event.requestContext.http.method,
      path: event.rawPath,
      headers: normaliseHeaders(event.headers),
      body, // the router refuses it over MAX_BODY_BYTES before parsing (Function URLs cap payloads at 6 MB)
    };
    admissionKeys.length = 0;
    const answer = await handleRequest(request, router);
    const keys = admissionKeys.splice(0);
    const response = { statusCode: answer.status, headers: answer.headers, body: answer.body };
    // The API server waits for admission answers: nothing else runs in this invocation.
    if (request.path.startsWith('/webhooks/')) {
      const at = now() + ADMISSION_KEY_DELAY_MS;
      await handBack(keys.map((key) => ({ key, at })));
      return response;
    }
    await finish(context);
    return response;
  };

  return async (event, context) => {
    const url = functionUrlEvent.safeParse(event);
    if (url.success) return http(url.data, context);
    if (scheduledEvent.safeParse(event).success) {
      const dispatched = await core.tick();
      await finish(context);
      return { ticked: dispatched };
    }
    const ecr = fromEcr(event);
    if (!('error' in ecr)) {
      const matched = await core.registryPush(ecr.pushes);
      await finish(context);
      return { pushes: ecr.pushes.length, packagesMatched: matched };
    }
    const back = handBackEvent.safeParse(event);
    if (back.success) {
      for (const entry of back.data.keys) {
        const { key, at } = typeof entry === 'string' ? { key: entry, at: 0 } : entry;
        core.dispatchAt(refOfKey(key), at);
      }
      await finish(context);
      return { ran: back.data.keys.length };
    }
    return {
      error: 'not an event this function handles (Function URL v2, EventBridge schedule or ECR Image Action)',
    };
  };
}

let host: Promise<LambdaHost> | undefined;

/** The Lambda entry point. */
export async function handler(event: unknown, context?: LambdaContext): Promise<unknown> {
  host ??= createLambdaHost(lambdaEnv()).catch((error: unknown) => {
    host = undefined;
    throw new Error(`gantry could not start: ${errorMessage(error)}`, { cause: error });
  });
  return (await host).handle(event, context);
}
