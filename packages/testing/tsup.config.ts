import { defineConfig } from 'tsup'

const shared = { entry: ['src/index.ts'], dts: true, sourcemap: true, target: 'node20' } as const

export default defineConfig([
  { ...shared, format: ['esm'] },
  // jose is ESM-only. Node 20.19+ can require() it, but Jest's module system cannot, so the
  // CommonJS build carries its own copy of jose (MIT, see its license in node_modules/jose).
  { ...shared, format: ['cjs'], noExternal: ['jose'] },
])
