/**
 * @module hosts/lambda-bootstrap
 * The Lambda Runtime API loop (a custom runtime's `bootstrap`, and what the AWS Lambda Runtime Interface Emulator
 * drives): take the next invocation, run the handler with its deadline, post the result or the error. With the
 * managed Node.js runtime this file is not used (it calls `index.handler` itself); on `provided.al2023` or under
 * the emulator, run `node bootstrap.mjs`.
 */
import { errorMessage } from '../../shared/errors.js';
import { lambdaRuntimeApi } from '../config.js';
import { handler } from './lambda.js';

const base = `http://${lambdaRuntimeApi()}/2018-06-01/runtime`;

async function post(path: string, body: unknown): Promise<void> {
  await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function failure(error: unknown): { errorMessage: string; errorType: string } {
  return { errorMessage: errorMessage(error), errorType: error instanceof Error ? error.name : 'Error' };
}

for (;;) {
  const next = await fetch(`${base}/invocation/next`);
  const id = next.headers.get('lambda-runtime-aws-request-id') ?? '';
  const deadline = Number(next.headers.get('lambda-runtime-deadline-ms') ?? Date.now() + 60_000);
  let event: unknown;
  try {
    event = await next.json();
  } catch (error) {
    await post(`/invocation/${id}/error`, failure(error));
    continue;
  }
  try {
    const result = await handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
    await post(`/invocation/${id}/response`, result);
  } catch (error) {
    await post(`/invocation/${id}/error`, failure(error));
  }
}
