import { describe, expect, it } from 'vitest';
import { errorFor } from './client.js';

describe('errorFor', () => {
  it('carries the API server’s Status message', () => {
    const error = errorFor('GET', '/api/v1/namespaces/x', {
      status: 403,
      text: JSON.stringify({ kind: 'Status', message: 'namespaces "x" is forbidden', reason: 'Forbidden' }),
      headers: {},
    });
    expect(error.message).toBe('namespaces "x" is forbidden');
  });

  it('names a non-Status answer by its status only, never its text', () => {
    const error = errorFor('GET', '/apis/metrics.k8s.io/v1beta1', {
      status: 502,
      text: '<html>upstream token=eyJhbGciOiJSUzI1NiJ9.secret</html>',
      headers: {},
    });
    expect(error.message).toBe(
      'GET /apis/metrics.k8s.io/v1beta1: HTTP 502 (the answer is not a Kubernetes Status)',
    );
  });
});
