// Type-aware lint rules for the bugs the compiler does not catch (../shared/STYLE.md): promises
// nobody awaits or handles, promises where a callback's return is ignored, and loose equality.
// Kept in .ci/ because the project's top level is fixed; run with `npm run lint`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '.prof/**',
      '.test-dist*/**',
      '**/node_modules/**',
      '**/dist/**',
      'coverage/**',
      'examples/spa/dist/**',
      'client/dist/**',
      'nest/dist/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        project: [
          './tsconfig.json',
          './test/tsconfig.json',
          './client/tsconfig.spec.json',
          './nest/tsconfig.spec.json',
          './examples/spa/tsconfig.json',
          './examples/resource-service/tsconfig.json',
          './console/tsconfig.json',
        ],
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
  {
    // Persistence stays in repositories (docs/architecture.md): services get repositories injected and
    // never reach for the connection themselves. Repositories, migrations and the database module may.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.repository.ts', 'src/database/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'typeorm',
              importNames: ['DataSource', 'EntityManager', 'Repository', 'getRepository', 'QueryRunner'],
              message: "Only *.repository.ts (and src/database/) touch the connection; inject the module's repository instead.",
            },
            {
              name: '@nestjs/typeorm',
              importNames: ['InjectDataSource', 'InjectRepository', 'InjectEntityManager', 'getDataSourceToken', 'getRepositoryToken'],
              message: "Only *.repository.ts (and src/database/) inject TypeORM; inject the module's repository instead.",
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='getRepository']",
          message: 'getRepository belongs in a *.repository.ts.',
        },
        {
          selector: "MemberExpression[property.name='manager'][object.type!='ThisExpression']",
          message: 'A transaction (Tx) is opaque outside repositories: pass it on, do not open it.',
        },
      ],
    },
  },
);
