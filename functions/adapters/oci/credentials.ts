/**
 * @module adapters/oci/credentials
 * Where registry credentials come from: a Docker `config.json` file, and the `imagePullSecrets` of a service
 * account (the runner's own, as PKO uses its own), read through any JSON GET on the Kubernetes API.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { TerminalError } from '../../../shared/errors.js';
import { dockerConfigsFromSecrets, parseDockerConfig, type DockerConfig } from '../../../shared/oci/auth.js';

/** Read a Docker config file; a missing file is no credentials, a broken one is an error naming the file. */
export async function readDockerConfigFile(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TerminalError(`${path}: not JSON`, { cause: error });
  }
  const parsed = parseDockerConfig(json, path);
  if (!parsed.ok) throw new TerminalError(parsed.error);
  return parsed.value;
}

const serviceAccount = z.object({
  imagePullSecrets: z.array(z.object({ name: z.string() })).nullish(),
});

/** A GET of a Kubernetes API path returning the parsed JSON body, or undefined on 404. */
export type KubeGet = (path: string) => Promise<unknown>;

/** The Docker configs of a service account's image pull secrets, plus what could not be used. */
export async function pullSecretConfigs(
  get: KubeGet,
  namespace: string,
  name: string,
): Promise<{ configs: DockerConfig[]; problems: string[] }> {
  const sa = serviceAccount.safeParse(await get(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}`));
  if (!sa.success)
    return { configs: [], problems: [`service account ${namespace}/${name} not found or unreadable`] };
  const secrets: unknown[] = [];
  const problems: string[] = [];
  for (const ref of sa.data.imagePullSecrets ?? []) {
    const secret = await get(`/api/v1/namespaces/${namespace}/secrets/${ref.name}`);
    if (secret === undefined) problems.push(`pull secret ${namespace}/${ref.name} not found`);
    else secrets.push(secret);
  }
  const parsed = dockerConfigsFromSecrets(secrets);
  return { configs: parsed.configs, problems: [...problems, ...parsed.problems] };
}
