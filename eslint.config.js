// Lint rules, including the layer rules of DESIGN.md: the core never imports electron, the renderer
// imports only the contract, and the contract imports no Node module.
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'http',
  'https',
  'net',
  'child_process',
  'crypto',
  'stream',
  'url',
  'util',
  'events',
];

/** Import rules for main/cli: no electron, and nothing of main/ but main/contract. */
function cliOnlyContract(outside) {
  return {
    paths: [{ name: 'electron', message: 'The CLI runs in plain Node: never import electron.' }],
    patterns: [
      { regex: outside, message: 'The CLI talks to the core over HTTP: import only main/contract.' },
    ],
  };
}

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'test-results/**', 'test/fixtures/**', 'resources/buildpacks/**'],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['main/**', 'cluster/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The core runs without Electron: never import electron in main/ or cluster/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI is a client of the API: from main/ it imports only the contract (types and schemas).
    files: ['main/cli/*.ts'],
    rules: {
      'no-restricted-imports': ['error', cliOnlyContract('^\\.\\./(?!contract(/|$))')],
    },
  },
  {
    files: ['main/cli/commands/**'],
    rules: {
      'no-restricted-imports': ['error', cliOnlyContract('^\\.\\./\\.\\./(?!contract(/|$))')],
    },
  },
  {
    files: ['main/contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'main/contract is shared with the renderer.' }],
          patterns: [
            { group: nodeBuiltins, message: 'main/contract is shared with the renderer: no Node modules.' },
            {
              group: ['../*', '!./*'],
              message: 'main/contract imports only itself and pure packages (zod).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks to the core over HTTP; use the preload API.' },
          ],
          patterns: [
            { group: nodeBuiltins, message: 'The renderer runs in a browser: no Node modules.' },
            {
              regex: '^(\\.\\./)+(main/(?!contract)|cluster|electron)',
              message: 'The renderer imports only main/contract.',
            },
          ],
        },
      ],
    },
  },
);
