// Import rules for the published sources, checked in CI (`pnpm check:deps`):
// no cycles anywhere, the core knows no framework, and the core's folders follow the
// request's path: a folder imports only from the folders before it in LAYERS.
const LAYERS = ['lib', 'errors', 'request', 'keys', 'token', 'introspection', 'sender', 'cache', 'scopes', 'metadata', 'options', 'authenticator', 'adapter']
const core = 'packages/core/src'

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `core-${layer}-imports-no-later-layer`,
  comment: `${core}/${layer} comes before ${LAYERS.slice(index + 1).join(', ')} on the request's path`,
  severity: 'error',
  from: { path: `^${core}/${layer}/` },
  to: { path: `^${core}/(${LAYERS.slice(index + 1).join('|')})/` },
}))

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-knows-no-framework',
      severity: 'error',
      from: { path: `^${core}/` },
      to: { path: '(^|/)node_modules/(express|koa|@koa|fastify|hono)/' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      conditionNames: ['@scopeguard/source', 'import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
}
