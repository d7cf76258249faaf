import { defineConfig } from 'tsup'

const shared = { entry: ['src/index.ts'], dts: true, sourcemap: true, target: 'node20' } as const

export default defineConfig([
  { ...shared, format: ['esm'] },
  // jose is ESM-only. Node 20.19+ can require() it, but Jest's module system cannot, so the
  // CommonJS build carries its own copy of jose (MIT, see its license in node_modules/jose).
  // jose's licence ships with it in THIRD_PARTY_NOTICES.md (checked by scripts/check-packaging.mjs).
  { ...shared, format: ['cjs'], noExternal: ['jose'] },
])
