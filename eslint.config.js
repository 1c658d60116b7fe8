// ESLint flat config: typescript-eslint strict rules, style limits after Pepr's, and the layer rule of
// docs/architecture.md, "Layers" enforced with eslint-plugin-boundaries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

const layers = [
  { type: 'shared', pattern: 'shared/**' },
  { type: 'webhooks', pattern: 'webhooks/**' },
  { type: 'steps', pattern: 'functions/steps/**' },
  { type: 'adapters', pattern: 'functions/adapters/**' },
  { type: 'hosts', pattern: 'functions/hosts/**' },
  { type: 'config', pattern: 'functions/config' },
  { type: 'cli', pattern: 'cli/**' },
  { type: 'devenv', pattern: 'devenv/**' },
  { type: 'test', pattern: 'test/**' },
  { type: 'bench', pattern: 'bench/**' },
  { type: 'scripts', pattern: 'scripts/**' },
  { type: 'examples', pattern: 'examples/**' },
  // The web console's page (runs in the browser): pure view code and its own client.
  { type: 'console', pattern: 'console/**', partialMatch: false },
];

// Third-party modules that do I/O: only adapters (and the composition roots) may import them.
const ioModules = [
  '@kubernetes/client-node',
  '@aws-sdk/*',
  'express',
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:http',
  'node:https',
  'node:net',
  'fs',
  'fs/promises',
  'child_process',
];

// docs/architecture.md, "Layers": which layer may import which. Anything not listed is refused.
const allowed = {
  shared: ['shared'],
  webhooks: ['shared', 'webhooks'],
  steps: ['shared', 'steps'],
  config: ['shared'],
  adapters: ['shared', 'adapters', 'config'],
  hosts: ['shared', 'webhooks', 'steps', 'adapters', 'hosts', 'config'],
  devenv: ['shared', 'adapters', 'devenv'],
  cli: ['shared', 'webhooks', 'steps', 'adapters', 'hosts', 'config', 'cli', 'devenv'],
  test: [
    'shared',
    'webhooks',
    'steps',
    'adapters',
    'hosts',
    'config',
    'cli',
    'devenv',
    'test',
    'examples',
    'scripts',
  ],
  bench: [
    'shared',
    'webhooks',
    'steps',
    'adapters',
    'hosts',
    'config',
    'cli',
    'devenv',
    'test',
    'bench',
    'scripts',
  ],
  // cli: scripts/bundle.ts builds the CLI's startup snapshot with the CLI's own manifest rules (cli/snapshot-manifest.ts).
  scripts: ['shared', 'adapters', 'cli', 'scripts', 'devenv', 'test'],
  examples: ['shared', 'adapters', 'cli', 'devenv', 'test', 'examples'],
  console: ['shared', 'console'],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      'shared/api/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { boundaries },
    settings: {
      'boundaries/elements': layers,
      'boundaries/include': ['**/*.ts'],
      'import/resolver': { [new URL('./scripts/eslint-ts-resolver.cjs', import.meta.url).pathname]: {} },
    },
    rules: {
      '@typescript-eslint/explicit-function-return-type': ['error', { allowExpressions: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-assertions': ['error', { assertionStyle: 'never' }],
      complexity: ['error', 20],
      'max-depth': ['error', 4],
      'max-params': ['error', 5],
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: Object.entries(allowed).map(([from, to]) => ({
            from: { element: { type: from } },
            allow: { to: { element: { types: { anyOf: to } } } },
          })),
        },
      ],
    },
  },
  {
    // Pure layers: no I/O libraries, no process.env.
    files: ['shared/**/*.ts', 'webhooks/**/*.ts', 'functions/steps/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ioModules,
              message: 'I/O belongs in functions/adapters (docs/architecture.md, "Layers").',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only functions/config/ reads process.env.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Use the Clock port.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'No randomness in pure code.',
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-assertions': 'off',
      '@typescript-eslint/explicit-function-return-type': 'off',
      complexity: 'off',
    },
  },
);
