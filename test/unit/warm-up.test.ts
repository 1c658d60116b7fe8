/**
 * The render step's warm-up (steps/warm-up.ts): the built-in package renders with the real Go template engine,
 * without a single request to the cluster; a failing engine is reported, never thrown (the first Package then
 * pays for what the warm-up would have compiled).
 */
import { describe, expect, it } from 'vitest';
import { createGoTemplateEngine } from '../../functions/adapters/gotmpl/index.js';
import { warmUpRender } from '../../functions/steps/warm-up.js';
import { FakeKube } from '../fakes/kube.js';

describe('warmUpRender', () => {
  it('renders its package with the Go engine and asks the cluster nothing', async () => {
    const kube = new FakeKube();
    const rendered: string[] = [];
    const gotmpl = createGoTemplateEngine();
    const result = await warmUpRender({
      kube,
      prefixOverrides: [],
      engines: {
        gotmpl: {
          render: async (input) => {
            const out = await gotmpl.render(input);
            rendered.push(...out.values());
            return out;
          },
        },
      },
    });
    expect(result).toBeUndefined();
    expect(rendered.join('')).toContain('name: "warm-up-config"');
    expect(rendered.join('')).toContain('greeting: "hi"');
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
