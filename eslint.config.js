// ESLint: the recommended rules of ESLint and typescript-eslint (syntax only, no type information, so the
// whole tree takes seconds), no `any` in src/, no line over 120 characters. Formatting is prettier's
// (.prettierrc.json); `npm run lint` runs both.

import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['dist/**', 'native/**', 'captures/**', 'docs/**'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // Prettier wraps code at 120; this also holds comments, strings and templates to it, which prettier
      // leaves alone. (ESLint keeps max-len through 10.x.)
      'max-len': ['error', { code: 120, tabWidth: 2 }],
    },
  },
  {
    // Plain JavaScript runs on Node (scripts/build-native.mjs): the Node globals it uses. TypeScript files
    // get theirs from @types/node, and typescript-eslint turns no-undef off for them.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
);
