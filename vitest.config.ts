import { defineConfig } from 'vitest/config'

// Tests import the workspace packages from source through the "@scopeguard/source" export
// condition, so no build is needed to run them.
export default defineConfig({
  resolve: { conditions: ['@scopeguard/source'] },
  ssr: { resolve: { conditions: ['@scopeguard/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'bench/src/**/*.test.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    pool: 'forks',
  },
})
