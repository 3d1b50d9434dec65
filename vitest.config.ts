import { defineConfig } from "vitest/config";

export default defineConfig({
  // One copy of graphql-js: Pothos (externalised) and inlined test code must share its classes.
  resolve: { alias: { graphql: "graphql/index.js" } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Two cores: API and browser suites start real servers, so files run one at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    // Set-up starts a migrated database and real processes: on a loaded machine, or under the
    // shifted clock of test/shifted-dates.sh, that alone can take a minute.
    hookTimeout: 120_000,
  },
});
