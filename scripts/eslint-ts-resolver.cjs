// A minimal eslint import resolver (interface v2) for this repository: relative `.js` specifiers resolve to the
// `.ts` source beside them (TypeScript NodeNext style); bare specifiers resolve through Node. It replaces
// eslint-import-resolver-typescript, whose native dependency breaks `npm ci` here.
'use strict';
const { existsSync } = require('node:fs');
const { dirname, resolve } = require('node:path');

exports.interfaceVersion = 2;

exports.resolve = function resolveImport(source, file) {
  if (source.startsWith('.') || source.startsWith('/')) {
    const base = resolve(dirname(file), source);
    for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, resolve(base, 'index.ts')]) {
      if (existsSync(candidate)) return { found: true, path: candidate };
    }
    return { found: false };
  }
  if (source.startsWith('node:')) return { found: true, path: null };
  try {
    return { found: true, path: require.resolve(source, { paths: [dirname(file)] }) };
  } catch {
    return { found: true, path: null };
  }
};
