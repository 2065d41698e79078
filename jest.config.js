// Three suites: unit (pure, no root), netns (built binaries in throwaway namespaces, as root),
// kernel (run inside user-mode-linux by scripts/kernel-test.sh, never directly on the host).
const transform = { '^.+\\.ts$': '<rootDir>/test/helpers/esbuild-transform.js' };
const common = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'netns',
      testMatch: ['<rootDir>/test/netns/**/*.test.ts'],
      globalTeardown: '<rootDir>/test/helpers/global-teardown.js',
    },
    { ...common, displayName: 'kernel', testMatch: ['<rootDir>/test/kernel/**/*.test.ts'] },
  ],
};
