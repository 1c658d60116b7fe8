/**
 * @module oci/network
 * Which addresses a package source may reach on behalf of a registry (server-side request forgery): a token
 * realm or a redirect names any URL it likes, so every address is classed (loopback, link-local, private,
 * public) and one outside the public Internet is reached only when the registry itself is in that class, or
 * when the operator allows the class (`GANTRY_REGISTRY_NETWORKS`).
 */
export type AddressClass = 'loopback' | 'link-local' | 'private' | 'public';
export const NON_PUBLIC_CLASSES: readonly AddressClass[] = ['loopback', 'link-local', 'private'];

function ipv4Class(ip: string): AddressClass {
  const [a = 0, b = 0] = ip.split('.').map(Number);
  if (a === 127 || a === 0) return 'loopback'; // 0.0.0.0 reaches the host itself
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT (RFC 6598)
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, an embedded IPv4 tail converted). */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0] ?? '';
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

function ipv6Class(ip: string): AddressClass {
  const g = ipv6Groups(ip);
  const first = g[0] ?? 0;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [hi = 0, lo = 0] = g.slice(6);
    return ipv4Class(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  if (g.slice(0, 7).every((x) => x === 0) && (g[7] === 1 || g[7] === 0)) return 'loopback';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'private';
  return 'public';
}

/** The class of an IP address literal (IPv4 or IPv6, brackets allowed); undefined when it is not one. */
export function addressClass(address: string): AddressClass | undefined {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip))
    return ip.split('.').every((x) => Number(x) <= 255) ? ipv4Class(ip) : undefined;
  // WHATWG URL parsing validates an IPv6 literal (and writes it in its canonical form).
  const bare = ip.split('%')[0] ?? '';
  if (!bare.includes(':') || !URL.canParse(`http://[${bare}]/`)) return undefined;
  return ipv6Class(new URL(`http://[${bare}]/`).hostname.slice(1, -1));
}

/**
 * Whether a request may reach `target` (a class) on behalf of a registry whose own addresses are of the
 * `origin` classes: public always, another class only when the registry is there too or the operator allows it.
 */
export function reachable(
  target: AddressClass,
  origin: ReadonlySet<AddressClass>,
  allowed: ReadonlySet<AddressClass>,
): boolean {
  return target === 'public' || origin.has(target) || allowed.has(target);
}

/** Parse an operator's comma-separated list of names from `known`; an unknown name is an error naming it. */
function parseNames<T extends string>(
  text: string,
  known: readonly T[],
  what: string,
  none: boolean,
): { ok: true; value: Set<T> } | { ok: false; error: string } {
  const out = new Set<T>();
  if (none && text.trim() === 'none') return { ok: true, value: out };
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const name = known.find((k) => k === item);
    if (name === undefined)
      return {
        ok: false,
        error: `unknown ${what} "${item}" (one of ${known.join(', ')}${none ? ', or none' : ''})`,
      };
    out.add(name);
  }
  return { ok: true, value: out };
}

/** Parse the operator's list (`loopback,link-local,private`); an unknown name is an error naming it. */
export function parseNetworkClasses(
  text: string,
): { ok: true; value: Set<AddressClass> } | { ok: false; error: string } {
  return parseNames(text, NON_PUBLIC_CLASSES, 'network class', false);
}

/**
 * The rules under which a registry is reached over plain http, as go-containerregistry v0.20.7 (PKO v1.19.0's) decides
 * `Registry.Scheme()`: `loopback` (`localhost:PORT`, and a name containing `127.0.0.1` or `::1`; Gantry adds a bare
 * `localhost`), `local` (a name ending in `.local` or `.localhost`, with or without a port) and `private` (an IPv4
 * literal in `10/8`, `172.16/12` or `192.168/16`).
 */
export type PlainHttpRule = 'loopback' | 'local' | 'private';
export const PLAIN_HTTP_RULES: readonly PlainHttpRule[] = ['loopback', 'local', 'private'];

const RFC1918 = (a: number, b: number): boolean =>
  a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);

/** The rules a registry host (`host[:port]`, as an image reference names it) matches. */
export function plainHttpRulesOf(registry: string): PlainHttpRule[] {
  const out: PlainHttpRule[] = [];
  const host = registry.toLowerCase();
  if (/^localhost(:\d+)?$/.test(host) || host.includes('127.0.0.1') || host.includes('::1'))
    out.push('loopback');
  if (/\.local(?:host)?(?::\d{1,5})?$/.test(host)) out.push('local');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host.split(':')[0] ?? '');
  if (v4 !== null && v4.slice(1).every((x) => Number(x) <= 255) && RFC1918(Number(v4[1]), Number(v4[2])))
    out.push('private');
  return out;
}

/** Whether a registry is reached over plain http under the operator's rules (default: all of PKO's). */
export function plainHttpRegistry(registry: string, rules: ReadonlySet<PlainHttpRule>): boolean {
  return plainHttpRulesOf(registry).some((rule) => rules.has(rule));
}

/** Parse `GANTRY_PLAIN_HTTP_REGISTRIES` (`loopback,local,private`, or `none`); an unknown name is an error naming it. */
export function parsePlainHttpRules(
  text: string,
): { ok: true; value: Set<PlainHttpRule> } | { ok: false; error: string } {
  return parseNames(text, PLAIN_HTTP_RULES, 'plain-http rule', true);
}
