/**
 * The render step's warm-up (steps/warm-up.ts): the built-in package renders the same with the real Go template
 * engine and with the stand-in hosts use (no worker started), without a single request to the cluster; a failing
 * engine is reported, never thrown (the first Package then pays for what the warm-up would have compiled).
 */
import { describe, expect, it } from 'vitest';
import { createGoTemplateEngine } from '../../functions/adapters/gotmpl/index.js';
import { UNRENDERED, warmUpRender } from '../../functions/steps/warm-up.js';
import { FakeKube } from '../fakes/kube.js';

describe('warmUpRender', () => {
  it('renders its package with the Go engine and with the stand-in alike, and asks the cluster nothing', async () => {
    const kube = new FakeKube();
    const gotmpl = createGoTemplateEngine();
    const outputs: string[][] = [];
    for (const engine of [gotmpl, UNRENDERED]) {
      const rendered: string[] = [];
      const result = await warmUpRender({
        kube,
        prefixOverrides: [],
        engines: {
          gotmpl: {
            render: async (input) => {
              const out = await engine.render(input);
              rendered.push(...out.values());
              return out;
            },
          },
        },
      });
      expect(result).toBeUndefined();
      outputs.push(rendered);
    }
    expect(outputs[0]?.join('')).toContain('name: warm-up-config');
    expect(outputs[1]).toEqual(outputs[0]);
    expect(kube.writes).toEqual([]);
    expect(kube.objects.size).toBe(0);
  });

  it('returns what failed instead of throwing', async () => {
    const result = await warmUpRender({
      kube: new FakeKube(),
      prefixOverrides: [],
      engines: { gotmpl: { render: () => Promise.reject(new Error('engine down')) } },
    });
    expect(result?.message).toContain('engine down');
  });
});
