import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "@": path.resolve(import.meta.dirname),
  // `server-only` throws outside the react-server condition; tests import server modules directly.
  "server-only": path.resolve(import.meta.dirname, "tests/support/empty-module.ts"),
};

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ["default", "./tests/support/unhandled-errors-summary.ts"],
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/**/*.int.test.ts"],
          environment: "node",
          setupFiles: ["tests/support/test-env.ts"],
        },
      },
      {
        resolve: { alias },
        test: {
          name: "int",
          include: ["tests/**/*.int.test.ts"],
          environment: "node",
          // One PostgreSQL for the whole run; each test file gets a fresh database cloned
          // from a migrated template (tests/support/db.ts).
          globalSetup: ["tests/support/global-setup.ts"],
          setupFiles: ["tests/support/setup-db.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
