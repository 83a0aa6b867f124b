// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import globals from 'globals';

/** shared/ runs in the agent, the relay and the browser: it may import zod and its own files only. */
export const sharedImportRule = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: '^(?!zod$|zod/|\\.{1,2}/)',
          message: 'shared/ may import only zod and its own files (no node:, electron or DOM code).',
        },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    ...['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'location', 'fetch', 'WebSocket'].map((name) => ({
      name,
      message: 'shared/ must not touch the DOM.',
    })),
    ...['process', 'Buffer', 'require', '__dirname', '__filename', 'global', 'setImmediate'].map((name) => ({
      name,
      message: 'shared/ must not touch Node.',
    })),
  ],
};

/**
 * The agent's lower layers (hardware/, control/, store/) know nothing of the edges above them:
 * the HTTP API (api/), the relay link (sync/) or the Agent that wires them (agent.ts). An upward
 * import means a type lives in the wrong room; move it down. Matched on the relative path, any depth:
 * no folder named api or sync, nor a file named agent.ts, exists below those three.
 */
export const agentLayerImportRule = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: '^(\\.\\./)+(api|sync)(/|$)',
          message: 'agent/src/hardware, control and store must not import from api/ or sync/: move the shared type down into the lower layer.',
        },
        {
          regex: '^(\\.\\./)+agent(\\.[jt]s)?$',
          message: 'agent/src/hardware, control and store must not import agent.ts: move the shared type down into the lower layer.',
        },
      ],
    },
  ],
};

/**
 * The Agent (agent.ts) and what it offers its edges (facade.ts) answer in domain terms; the edges
 * (api/ for HTTP, sync/ for the relay link) map those answers to statuses and frames. So neither
 * imports an edge: a type both need lives in facade.ts.
 */
export const agentCoreImportRule = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: '^\\./(api|sync)(/|$)',
          message: 'agent.ts and facade.ts must not import api/ or sync/: the edges map domain answers; move the shared type into facade.ts.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/out/**', '**/dist/**', 'coverage/**', '.test-results/**', '.bench/**', 'e2e-screenshots/**', 'test-results/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, sourceType: 'module' }, globals: globals.browser },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // Type-aware: a promise nobody awaits or catches loses its rejection (an unhandled rejection
    // stops the process), and one handed where a void callback is expected (an event listener, a
    // setInterval) is dropped the same way. Plain .ts files only, each in one of the typecheck's projects.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json', './shared/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['shared/src/**/*.ts'],
    languageOptions: { globals: {} },
    rules: sharedImportRule,
  },
  {
    files: ['agent/src/hardware/**/*.ts', 'agent/src/control/**/*.ts', 'agent/src/store/**/*.ts'],
    rules: agentLayerImportRule,
  },
  {
    files: ['agent/src/agent.ts', 'agent/src/facade.ts'],
    rules: agentCoreImportRule,
  },
  {
    files: ['desktop/src/renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(node:|electron$|fs$|path$)', message: 'the renderer reaches Node only through the preload API.' }] }],
    },
  },
);
