import { describe, expect, it } from 'vitest';
import { asInt64, goFloat, goJson, goJsonString } from './go-json.js';

describe('Go JSON numbers', () => {
  it('decodes integral numbers that fit as int64, the rest as float64', () => {
    expect(asInt64(0)).toBe(0n);
    expect(asInt64(-0)).toBe(0n);
    expect(asInt64(-42)).toBe(-42n);
    expect(asInt64(2 ** 60)).toBe(1152921504606847000n);
    expect(asInt64(1.5)).toBeUndefined();
    expect(asInt64(2 ** 63)).toBeUndefined(); // 9223372036854775807 as JavaScript reads it
    expect(asInt64(1e20)).toBeUndefined();
    expect(asInt64(1e21)).toBeUndefined();
  });

  it("formats floats as strconv.FormatFloat(f, 'g', -1, 64)", () => {
    expect(goFloat(1.5, 'g')).toBe('1.5');
    expect(goFloat(-2.5, 'g')).toBe('-2.5');
    expect(goFloat(0.0001, 'g')).toBe('0.0001');
    expect(goFloat(0.00001, 'g')).toBe('1e-05');
    expect(goFloat(123456.5, 'g')).toBe('123456.5');
    expect(goFloat(1234567.5, 'g')).toBe('1.2345675e+06');
    expect(goFloat(1e20, 'g')).toBe('1e+20');
    expect(goFloat(5e-324, 'g')).toBe('5e-324');
    expect(goFloat(1.7976931348623157e308, 'g')).toBe('1.7976931348623157e+308');
  });

  it('formats floats as encoding/json does', () => {
    expect(goFloat(1234567.5, 'json')).toBe('1234567.5');
    expect(goFloat(1e20, 'json')).toBe('100000000000000000000');
    expect(goFloat(1e21, 'json')).toBe('1e+21');
    expect(goFloat(1e-7, 'json')).toBe('1e-7');
    expect(goFloat(0.000001, 'json')).toBe('0.000001');
  });
});

describe('Go JSON encoding', () => {
  it('escapes as encoding/json: HTML characters, controls, the JavaScript line separators', () => {
    expect(goJsonString('<a href="x">&</a>')).toBe('"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
    expect(goJsonString('\t\n\r\b\f\u0001\u007f\\')).toBe('"\\t\\n\\r\\b\\f\\u0001\u007f\\\\"');
    expect(goJsonString('\u2028\u2029é😀')).toBe('"\\u2028\\u2029é😀"');
    expect(goJsonString('x\ud800')).toBe('"x\ufffd"');
  });

  it('sorts keys by their bytes and writes numbers as Go decoded them', () => {
    expect(goJson({ b: [1, 2.5, null, true], a: { '😀': 1, '\uffff': 2, Z: 3 }, c: 'x' })).toBe(
      '{"a":{"Z":3,"\uffff":2,"😀":1},"b":[1,2.5,null,true],"c":"x"}',
    );
  });
});
