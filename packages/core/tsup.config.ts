import { defineConfig } from 'tsup'

// Both entry points (`@scopeguard/core` and `@scopeguard/core/adapter`) run from ONE bundle
// per module format, built from src/bundle.ts; each has its own types. Two bundles would
// each hold a copy of the core, and the copies would not know each other's results, errors
// or key sources (`instanceof KeysUnavailableError` would fail across them). esbuild's code
// splitting would share the modules, but tsup's CommonJS splitting is experimental and
// miscompiles jose's error classes.
const runtime = { entry: { index: 'src/bundle.ts' }, dts: false, sourcemap: true, target: 'node20' } as const
const types = { entry: { index: 'src/index.ts', adapter: 'src/adapter/index.ts' }, dts: { only: true } } as const

export default defineConfig([
  { ...runtime, format: ['esm'] },
  // jose is ESM-only. Node 20.19+ can require() it, but Jest's module system cannot, so the
  // CommonJS build carries its own copy of jose (MIT, see its license in node_modules/jose).
  // jose's licence ships with it in THIRD_PARTY_NOTICES.md (checked by scripts/check-packaging.mjs).
  { ...runtime, format: ['cjs'], noExternal: ['jose'] },
  { ...types, format: ['esm', 'cjs'] },
])
