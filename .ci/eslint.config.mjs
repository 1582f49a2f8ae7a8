// Type-aware lint rules for the bugs the compiler does not catch (../shared/STYLE.md): promises
// nobody awaits or handles, promises where a callback's return is ignored, and loose equality.
// Kept in .ci/ because the project's top level is fixed; run with `npm run lint`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'coverage/**', 'examples/spa/dist/**', 'client/dist/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        project: ['./tsconfig.json', './test/tsconfig.json', './client/tsconfig.spec.json', './examples/spa/tsconfig.json'],
        tsconfigRootDir: process.cwd(),
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      eqeqeq: ['error', 'always'],
    },
  },
);
