/**
 * @module render/hash
 * 32-bit FNV-1a and apimachinery's SafeEncodeString alphabet, as PKO uses them for names; `computeHash` applies
 * them to canonical JSON for Gantry's own keys (Event names, change-cause keys). PKO's own hashes of its Go
 * structs, which Gantry writes wherever PKO reads them, are in `pko-hash/`.
 */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** 32-bit FNV-1a over bytes. */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let hash = seed;
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** apimachinery rand.SafeEncodeString: each character mapped into a vowel-free alphabet. */
export function safeEncodeString(s: string): string {
  return Array.from(s, (c) => ALPHANUMS.charAt((c.codePointAt(0) ?? 0) % ALPHANUMS.length)).join('');
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** Little-endian 8-byte encoding of a collision count, appended to the hashed bytes when set (PKO). */
function collisionBytes(collisionCount: number | undefined): Uint8Array {
  if (collisionCount === undefined) return new Uint8Array();
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(collisionCount), true);
  return out;
}

/** `SafeEncodeString(decimal(fnv32a(canonicalJson(value) ‖ collisionCount)))`. */
export function computeHash(value: unknown, collisionCount?: number): string {
  const json = new TextEncoder().encode(canonicalJson(value));
  const extra = collisionBytes(collisionCount);
  const bytes = new Uint8Array(json.length + extra.length);
  bytes.set(json);
  bytes.set(extra, json.length);
  return safeEncodeString(String(fnv32a(bytes)));
}
