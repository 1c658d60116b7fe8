/**
 * Gantry's PKO hashes against PKO's own code (scripts/pko-hash-oracle, test/pko-hash-oracle.ts): for every case
 * of test/unit/pko-hash-cases.ts the same spew text and the same hash, and for ObjectSlice contents the same
 * object sizes as PKO's chunker counts. Skipped, and says why, without Go or PKO's source.
 */
import { describe, expect, it } from 'vitest';
import { chunkSize } from '../../shared/render/object-deployment.js';
import { askPkoHashOracle, locatePkoHashOracle, type OracleAnswer } from '../pko-hash-oracle.js';
import { gantryAnswer, PKO_HASH_CASES } from '../unit/pko-hash-cases.js';

const oracle = locatePkoHashOracle();
if ('missing' in oracle) console.warn(`\n!!! ${oracle.missing} !!!\n`);
const answers: OracleAnswer[] = 'path' in oracle ? askPkoHashOracle(oracle.path, PKO_HASH_CASES) : [];

describe.skipIf('missing' in oracle)("Gantry's hashes are PKO v1.19.0's", () => {
  PKO_HASH_CASES.forEach((c, i) => {
    it(`${c.kind}: ${c.name}`, () => {
      const pko = answers[i];
      expect(pko?.error).toBeUndefined();
      expect(gantryAnswer(c)).toEqual({ spew: pko?.spew, hash: pko?.hash });
      if (c.kind === 'sliceObjects')
        expect(c.value.map((o) => chunkSize(isObject(o) ? o.object : {}))).toEqual(pko?.sizes);
    });
  });
});

function isObject(v: unknown): v is { readonly object: Record<string, unknown> } {
  return (
    typeof v === 'object' && v !== null && 'object' in v && typeof v.object === 'object' && v.object !== null
  );
}
