// Four suites: unit (pure, no root), netns (built binaries in throwaway namespaces, as root),
// kernel (run inside user-mode-linux by scripts/kernel-test.sh, never directly on the host),
// e2e (podman driving the built plugins inside a throwaway namespace, as root).
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
    {
      ...common,
      displayName: 'kernel',
      testMatch: ['<rootDir>/test/kernel/**/*.test.ts'],
      globalTeardown: '<rootDir>/test/helpers/global-teardown.js',
    },
    // e2e makes no named namespace (see test/e2e/podman-sandbox.ts), so no global teardown: the
    // shared one would also sweep the `cnits-*` namespaces of a netns run going on beside it.
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
