/**
 * @module oci/proxy
 * Which proxy a pull goes through, by Go's rules (`net/http.ProxyFromEnvironment`, x/net's `httpproxy`), as PKO's
 * pulls: `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http ones (a value without a scheme is `http://`), never for
 * `localhost` or a loopback address, and not for a host `NO_PROXY` names: `*` (everything), an IP or CIDR (IP
 * hosts only), a domain (`example.com` is it and its subdomains, `.example.com` and `*.example.com` the
 * subdomains only), each with an optional `:port`. The proxy address is the operator's, trusted as given; only
 * `http://` proxies are supported.
 */
import { domainToASCII } from 'node:url';

export interface ProxySettings {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
}

type Matcher =
  | { readonly k: 'cidr'; readonly net: readonly number[]; readonly bits: number }
  | { readonly k: 'ip'; readonly ip: readonly number[]; readonly port: string }
  | { readonly k: 'domain'; readonly host: string; readonly port: string; readonly matchHost: boolean };

export interface ProxyConfig {
  readonly http?: URL;
  readonly https?: URL;
  /** `NO_PROXY=*`. */
  readonly none: boolean;
  readonly matchers: readonly Matcher[];
}

/** An IP literal as 16 bytes (IPv4 as IPv4-mapped IPv6, as Go's net.IP); undefined when it is not one. */
export function ipBytes(text: string): number[] | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bare)) {
    const parts = bare.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...parts];
  }
  if (!bare.includes(':') || bare.includes('%') || !URL.canParse(`http://[${bare}]/`)) return undefined;
  const canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function isLoopback(ip: readonly number[]): boolean {
  const v4 = ip.slice(0, 12).every((b, i) => b === (i >= 10 ? 0xff : 0));
  return v4 ? ip[12] === 127 : ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1;
}

function inCidr(ip: readonly number[], net: readonly number[], bits: number): boolean {
  for (let i = 0; i < 16; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    const mask = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
    if (((ip[i] ?? 0) & mask) !== ((net[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** Go's net.ParseCIDR: `ip/bits`, the bits counted on the 16-byte form. */
function parseCidr(text: string): Matcher | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const ip = ipBytes(address);
  const bits = /^\d{1,3}$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : -1;
  const v4 = !address.includes(':');
  if (ip === undefined || bits < 0 || bits > (v4 ? 32 : 128)) return undefined;
  return { k: 'cidr', net: ip, bits: v4 ? bits + 96 : bits };
}

/** Go's net.SplitHostPort, leniently: `host:port` or `[v6]:port`; undefined when there is no port part. */
function splitHostPort(text: string): { host: string; port: string } | undefined {
  const m = /^\[([^\]]*)\]:(.*)$/.exec(text) ?? /^([^:[\]]*):([^:]*)$/.exec(text);
  return m === null ? undefined : { host: m[1] ?? '', port: m[2] ?? '' };
}

function matcherOf(entry: string): Matcher | undefined {
  const cidr = parseCidr(entry);
  if (cidr !== undefined) return cidr;
  const split = splitHostPort(entry);
  if (split !== undefined && split.host === '') return undefined;
  const host = split?.host ?? entry;
  const port = split?.port ?? '';
  const ip = ipBytes(host);
  if (ip !== undefined) return { k: 'ip', ip, port };
  let domain = host.startsWith('*.') ? host.slice(1) : host;
  const matchHost = !domain.startsWith('.');
  if (matchHost) domain = `.${domain}`;
  const ascii = domainToASCII(domain.slice(1));
  return { k: 'domain', host: ascii === '' ? domain : `.${ascii}`, port, matchHost };
}

/** A proxy address as Go reads it: a value without scheme or host is taken as `http://<value>`. */
function parseProxyUrl(text: string, name: string): { ok: true; value?: URL } | { ok: false; error: string } {
  if (text === '') return { ok: true };
  let url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || url.host === '')
    url = URL.canParse(`http://${text}`) ? new URL(`http://${text}`) : undefined;
  if (url === undefined)
    return { ok: false, error: `${name}: invalid proxy address ${JSON.stringify(text)}` };
  if (url.protocol !== 'http:')
    return { ok: false, error: `${name}: only http:// proxies are supported, not ${url.protocol}//` };
  return { ok: true, value: url };
}

/** The proxy configuration from the three settings; an unusable proxy address is an error naming the variable. */
export function parseProxySettings(
  settings: ProxySettings,
): { ok: true; value: ProxyConfig } | { ok: false; error: string } {
  const http = parseProxyUrl(settings.httpProxy ?? '', 'HTTP_PROXY');
  if (!http.ok) return http;
  const https = parseProxyUrl(settings.httpsProxy ?? '', 'HTTPS_PROXY');
  if (!https.ok) return https;
  const matchers: Matcher[] = [];
  let none = false;
  for (const raw of (settings.noProxy ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') {
      none = true;
      break;
    }
    const m = matcherOf(entry);
    if (m !== undefined) matchers.push(m);
  }
  return {
    ok: true,
    value: {
      ...(http.value !== undefined ? { http: http.value } : {}),
      ...(https.value !== undefined ? { https: https.value } : {}),
      none,
      matchers,
    },
  };
}

function bypassed(config: ProxyConfig, host: string, port: string): boolean {
  if (config.none || host === 'localhost') return true;
  const ip = ipBytes(host);
  if (ip !== undefined && isLoopback(ip)) return true;
  return config.matchers.some((m) => {
    if (m.k === 'cidr') return ip !== undefined && inCidr(ip, m.net, m.bits);
    if (m.k === 'ip')
      return ip !== undefined && ip.every((b, i) => b === m.ip[i]) && (m.port === '' || m.port === port);
    if (ip !== undefined) return false;
    return (
      (host.endsWith(m.host) || (m.matchHost && host === m.host.slice(1))) &&
      (m.port === '' || m.port === port)
    );
  });
}

/** The proxy a request to `url` goes through, or undefined for a direct connection. */
export function proxyFor(config: ProxyConfig, url: URL): URL | undefined {
  const proxy = url.protocol === 'https:' ? config.https : url.protocol === 'http:' ? config.http : undefined;
  if (proxy === undefined) return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return bypassed(config, host, port) ? undefined : proxy;
}
