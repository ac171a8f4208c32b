import { defineConfig } from "vitest/config";

// Unit tests (pure code, fakes) and integration tests (real Podman, PostgreSQL,
// processes) run in one command; integration files end in `.int.test.ts`.
// SDK examples are tested beside them, like code.
// Two cores: keep workers to two so real containers are not starved.
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: "unit", include: ["packages/*/src/**/*.test.ts", "packages/*/examples/**/*.test.ts", "test/**/*.test.ts"], exclude: ["**/*.int.test.ts", "**/node_modules/**"] } },
      { extends: true, test: { name: "integration", include: ["packages/*/src/**/*.int.test.ts", "test/**/*.int.test.ts"], testTimeout: 120_000, hookTimeout: 180_000 } },
    ],
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});
