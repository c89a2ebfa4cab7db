import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // 2-core machines: heavy integration/e2e files run one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
