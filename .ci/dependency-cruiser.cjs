// Module boundaries (docs/architecture.md), checked by `npm run lint` and CI:
//   npx depcruise src --config .ci/dependency-cruiser.cjs
// Each folder under src/ is a module; it may import only the modules listed for it below, so the
// dependency graph between modules stays acyclic and its direction is written down in one place.
const MODULES = {
  common: [],
  config: ['common'],
  tracing: ['config', 'common'],
  metrics: ['config', 'common'],
  database: ['tracing', 'metrics', 'config', 'common'],
  keys: ['audit', 'config', 'database', 'common'],
  audit: ['database', 'config', 'common'],
  roles: ['audit', 'database', 'common'],
  throttle: ['metrics', 'config', 'common'],
  users: ['roles', 'throttle', 'audit', 'database', 'tracing', 'metrics', 'config', 'common'],
  sessions: ['users', 'keys', 'audit', 'roles', 'database', 'metrics', 'config', 'common'],
  auth: ['sessions', 'users', 'keys', 'throttle', 'audit', 'roles', 'database', 'tracing', 'metrics', 'config', 'common'],
  federation: ['auth', 'users', 'audit', 'roles', 'database', 'config', 'common'],
  mfa: ['auth', 'sessions', 'users', 'keys', 'throttle', 'audit', 'roles', 'database', 'config', 'common'],
  mail: ['audit', 'config', 'common'],
  recovery: ['mfa', 'mail', 'users', 'throttle', 'audit', 'roles', 'database', 'config', 'common'],
  credentials: ['auth', 'sessions', 'users', 'throttle', 'audit', 'roles', 'database', 'config', 'common'],
  health: ['database', 'config', 'common'],
  console: ['config'],
};

const moduleRules = Object.entries(MODULES).map(([name, allowed]) => ({
  name: `${name}-imports-only-its-dependencies`,
  comment: `src/${name} may import only: ${allowed.join(', ') || 'nothing else in src'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/(${[name, ...allowed].join('|')})/`] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, between files or (through the rules below) between modules.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...moduleRules,
    {
      name: 'auth-does-not-import-federation',
      comment: 'Federation registers its verifier with auth; auth knows nothing of federation.',
      severity: 'error',
      from: { path: '^src/auth/' },
      to: { path: '^src/federation/' },
    },
    {
      name: 'common-imports-no-feature-module',
      severity: 'error',
      from: { path: '^src/common/' },
      to: { path: '^src/(?!common/)' },
    },
    {
      name: 'typeorm-only-in-persistence',
      comment:
        'Only repositories, entities, migrations and the database module talk to TypeORM (and the error filter reads its error class); ' +
        'services use repositories. (ESLint additionally forbids DataSource, EntityManager and getRepository outside them.)',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: [
          '\\.repository\\.ts$',
          '\\.entity\\.ts$',
          '^src/database/',
          '\\.module\\.ts$',
          '^src/common/filters/all-exceptions\\.filter\\.ts$',
          '\\.spec\\.ts$',
        ],
      },
      to: { path: 'node_modules/(typeorm|@nestjs/typeorm)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.spec\\.ts$' },
  },
};
