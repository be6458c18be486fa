import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (every `test/**\/*.test.ts` outside `test/e2e`) and `e2e` (the built site in headless
 * Chromium, and served by nginx and Caddy through `deploy/`; `npm run test:e2e`). `vitest run` runs both; the
 * e2e tests skip themselves with a message when Chromium, nginx or Caddy is missing, except in CI.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 600_000,
          // A 100,000-contact site takes a second or two to load its search data on first use.
          expect: { poll: { timeout: 20_000 } },
        },
      },
    ],
  },
});
