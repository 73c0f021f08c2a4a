import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    // The global teardown stops the test cluster (pods drained, nine daemons stopped): up to a minute
    // or two on a busy machine. vitest exits the process when teardown takes longer than this.
    teardownTimeout: 300_000,
    // expect.poll waits for what a user would see appear (a page's text, a process's state); its
    // default of 1 s fails on a busy 2-core machine before the page has caught up.
    expect: { poll: { timeout: 20_000, interval: 100 } },
  },
});
