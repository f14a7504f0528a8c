/**
 * Unit tests live beside the code (*.spec.ts), including deploy/ (alert rules, dashboards);
 * end-to-end suites in test/ (*.e2e-spec.ts).
 */
const moduleNameMapper = {
  '^@keel/testing$': '<rootDir>/test/support/index.ts',
  // The typed client from its source, as the typecheck sees it (packages/client).
  '^@keel/client$': '<rootDir>/packages/client/src/index.ts',
  '^@keel/(.*)$': '<rootDir>/libs/$1/src/index.ts',
};
// Type errors are the typecheck step's job; tests only transpile, which is much faster.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  transform,
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,deploy}/**/*.spec.ts'],
      setupFiles: ['<rootDir>/test/support/quiet-logs.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      slowTestThreshold: 30,
    },
  ],
  testTimeout: 60_000,
};
