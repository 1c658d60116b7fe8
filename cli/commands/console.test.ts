import { describe, expect, it } from 'vitest';
import { parseAddr } from './console.js';

describe('gantry console --addr', () => {
  it('takes loopback addresses only', () => {
    expect(parseAddr('127.0.0.1:7355')).toEqual({ host: '127.0.0.1', port: 7355 });
    expect(parseAddr('localhost:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseAddr('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseAddr('127.1.2.3:80')).toEqual({ host: '127.1.2.3', port: 80 });
    expect(() => parseAddr('0.0.0.0:7355')).toThrow(
      '--addr must be a loopback address (127.0.0.1, ::1 or localhost), got "0.0.0.0"',
    );
    expect(() => parseAddr('example.com:80')).toThrow(
      '--addr must be a loopback address (127.0.0.1, ::1 or localhost), got "example.com"',
    );
    expect(() => parseAddr('7355')).toThrow('--addr must be HOST:PORT, got "7355"');
    expect(() => parseAddr('127.0.0.1:70000')).toThrow('--addr must be HOST:PORT, got "127.0.0.1:70000"');
  });
});
