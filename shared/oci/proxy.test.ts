import { describe, expect, it } from 'vitest';
import { parseProxySettings, proxyFor, type ProxySettings } from './proxy.js';

function via(settings: ProxySettings, url: string): string | undefined {
  const parsed = parseProxySettings(settings);
  if (!parsed.ok) throw new Error(parsed.error);
  return proxyFor(parsed.value, new URL(url))?.href;
}

const BOTH = { httpProxy: 'http://p.corp:3128', httpsProxy: 'proxy.corp:8080' };

describe("the proxy of a pull, by Go's ProxyFromEnvironment", () => {
  it('takes HTTPS_PROXY for https and HTTP_PROXY for http; a value without scheme is http://', () => {
    expect(via(BOTH, 'https://quay.io/v2/')).toBe('http://proxy.corp:8080/');
    expect(via(BOTH, 'http://registry.example.com:5000/v2/')).toBe('http://p.corp:3128/');
    expect(via({ httpProxy: 'http://p:1' }, 'https://quay.io/v2/')).toBeUndefined();
  });

  it('never proxies localhost or a loopback address', () => {
    for (const url of [
      'https://localhost/',
      'https://127.0.0.1:5000/',
      'https://127.9.9.9/',
      'https://[::1]:443/',
    ])
      expect(via(BOTH, url)).toBeUndefined();
    expect(via(BOTH, 'https://[::2]/')).toBe('http://proxy.corp:8080/');
  });

  it('NO_PROXY: * bypasses everything', () => {
    expect(via({ ...BOTH, noProxy: 'a.com, *' }, 'https://quay.io/')).toBeUndefined();
  });

  it('NO_PROXY: a domain is itself and its subdomains; .domain and *.domain the subdomains only', () => {
    const noProxy = 'example.com, .corp.net, *.internal';
    expect(via({ ...BOTH, noProxy }, 'https://example.com/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy }, 'https://a.b.example.com/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy }, 'https://notexample.com/')).toBe('http://proxy.corp:8080/');
    expect(via({ ...BOTH, noProxy }, 'https://corp.net/')).toBe('http://proxy.corp:8080/');
    expect(via({ ...BOTH, noProxy }, 'https://r.corp.net/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy }, 'https://internal/')).toBe('http://proxy.corp:8080/');
    expect(via({ ...BOTH, noProxy }, 'https://x.internal/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy: 'EXAMPLE.com' }, 'https://Example.COM/')).toBeUndefined();
  });

  it('NO_PROXY: a port narrows an entry to that port (the scheme default counts)', () => {
    const noProxy = 'example.com:5000, 10.0.0.1:443';
    expect(via({ ...BOTH, noProxy }, 'https://example.com:5000/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy }, 'https://example.com/')).toBe('http://proxy.corp:8080/');
    expect(via({ ...BOTH, noProxy }, 'https://10.0.0.1/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy }, 'http://10.0.0.1/')).toBe('http://p.corp:3128/');
  });

  it('NO_PROXY: IPs and CIDRs match IP hosts only, never names', () => {
    const noProxy = '10.0.0.0/8, 192.168.1.7, fd00::/8';
    expect(via({ ...BOTH, noProxy }, 'https://10.1.2.3/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy }, 'https://192.168.1.7/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy }, 'https://192.168.1.8/')).toBe('http://proxy.corp:8080/');
    expect(via({ ...BOTH, noProxy }, 'https://[fd12::1]/')).toBeUndefined();
    expect(via({ ...BOTH, noProxy: '10.0.0.0/8, 10.0.0.1' }, 'https://ten.example/')).toBe(
      'http://proxy.corp:8080/',
    );
  });

  it('refuses a proxy it cannot use, naming the variable', () => {
    expect(parseProxySettings({ httpsProxy: 'socks5://p:1080' })).toEqual({
      ok: false,
      error: 'HTTPS_PROXY: only http:// proxies are supported, not socks5://',
    });
    expect(parseProxySettings({ httpProxy: '[::1' })).toEqual({
      ok: false,
      error: 'HTTP_PROXY: invalid proxy address "[::1"',
    });
    expect(parseProxySettings({ httpsProxy: 'https://p:443' })).toEqual({
      ok: false,
      error: 'HTTPS_PROXY: only http:// proxies are supported, not https://',
    });
  });
});
