// The one runtime bundle behind both entry points (`@scopeguard/core` and
// `@scopeguard/core/adapter`); their types are built separately from index.ts and
// adapter/index.ts. See tsup.config.ts for why.
export * from './index.js'
export * from './adapter/index.js'
