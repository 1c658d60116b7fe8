// CEL: compile (uncached, a new expression each time), evaluation of a pre-compiled probe rule, and a filter
// comprehension over a 1,000-item list (what the per-evaluation runtime cost budget is charged on).
import { compileCel } from '../shared/cel/index.js';
import { sample, summarize, type BenchResult } from './types.js';

export async function run(): Promise<BenchResult[]> {
  const self = {
    metadata: { name: 'web' },
    status: { replicas: 3, updatedReplicas: 3, conditions: [{ type: 'Available', status: 'True' }] },
  };
  const program = compileCel(
    'self.status.updatedReplicas == self.status.replicas && self.status.conditions.exists(c, c.type == "Available" && c.status == "True")',
    'probe',
  );
  const evals = await sample(() => program.evaluate({ self }), 20_000, 2_000);
  const items = { self: Array.from({ length: 1000 }, (_, n) => ({ name: `item-${n}`, ready: n % 2 === 0 })) };
  const filter = compileCel('self.filter(x, x.ready && x.name.startsWith("item-")).size() == 500', 'probe');
  const filters = await sample(() => filter.evaluate(items), 500, 50);
  let i = 0;
  const compiles = await sample(() => compileCel(`self.status.replicas > ${i++}`, 'probe'), 2_000, 200);
  return [
    summarize('cel: evaluate a pre-compiled probe rule', evals),
    summarize('cel: compile a new probe rule', compiles),
    summarize('cel: filter a 1,000-item list', filters),
  ];
}
