// Flat config: typescript-eslint strict rules plus the project's layering and determinism rules.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'runs/**',
      'coverage/**',
      'data/**',
      'bench/results/**',
      'tmp/**',
      'docs-api/**',
    ],
  },
  ...tseslint.configs.strict,
  {
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded Rng from core/rng.ts.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name=/^(only|skip)$/]',
          message: 'No focused or skipped tests in the repository.',
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Type-aware promise rules: an un-awaited promise in the training loop, the CLI or a worker
    // protocol loses errors or reorders writes.
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['src/linalg/**/*.ts', 'src/core/**/*.ts', 'src/weightings/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test-prop.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tensorflow/*'],
              message:
                'linalg, core and weightings are host-side math: no TF.js (type-only imports are allowed in core/types.ts).',
              allowTypeImports: true,
            },
            { group: ['**/cli/**'], message: 'The library never imports the CLI.' },
            { group: ['node:*'], message: 'Only the CLI and data loaders touch Node APIs.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', '**/*.test.ts', '**/*.test-prop.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/**', '../cli/*', './cli/*'],
              message: 'The library never imports the CLI.',
            },
          ],
        },
      ],
    },
  },
);
