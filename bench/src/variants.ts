/** One server under test, each its own module in `servers/`. */
export interface Variant {
  readonly id: string
  readonly framework: 'express' | 'koa' | 'fastify' | 'hono' | 'node'
  /** `bare`: no authentication; `ours`: scopeguard; `peer`: another library; `passthrough`: two middlewares that only call next(), mounted where scopeguard's app-wide form mounts its two. */
  readonly role: 'bare' | 'ours' | 'peer' | 'passthrough'
  readonly label: string
}

export const VARIANTS: readonly Variant[] = [
  { id: 'express-bare', framework: 'express', role: 'bare', label: 'Express, bare' },
  { id: 'express-scopeguard', framework: 'express', role: 'ours', label: 'Express, scopeguard auth() + requireScopes()' },
  { id: 'express-scopeguard-route', framework: 'express', role: 'ours', label: 'Express, scopeguard auth().requireScopes() on the route' },
  { id: 'express-passthrough', framework: 'express', role: 'passthrough', label: 'Express, two pass-through middlewares' },
  { id: 'express-auth0', framework: 'express', role: 'peer', label: 'Express, express-oauth2-jwt-bearer' },
  { id: 'express-jwt', framework: 'express', role: 'peer', label: 'Express, express-jwt + jwks-rsa' },
  { id: 'koa-bare', framework: 'koa', role: 'bare', label: 'Koa, bare' },
  { id: 'koa-scopeguard', framework: 'koa', role: 'ours', label: 'Koa, scopeguard auth() + requireScopes()' },
  { id: 'koa-scopeguard-route', framework: 'koa', role: 'ours', label: 'Koa, scopeguard auth().requireScopes()' },
  { id: 'koa-passthrough', framework: 'koa', role: 'passthrough', label: 'Koa, two pass-through middlewares' },
  { id: 'koa-jwt', framework: 'koa', role: 'peer', label: 'Koa, koa-jwt + jwks-rsa' },
  { id: 'fastify-bare', framework: 'fastify', role: 'bare', label: 'Fastify, bare' },
  { id: 'fastify-scopeguard', framework: 'fastify', role: 'ours', label: 'Fastify, scopeguard auth() + requireScopes()' },
  { id: 'fastify-scopeguard-route', framework: 'fastify', role: 'ours', label: 'Fastify, scopeguard authenticate.requireScopes() on the route' },
  { id: 'fastify-passthrough', framework: 'fastify', role: 'passthrough', label: 'Fastify, two pass-through hooks' },
  { id: 'fastify-jwt', framework: 'fastify', role: 'peer', label: 'Fastify, @fastify/jwt + get-jwks' },
  { id: 'hono-bare', framework: 'hono', role: 'bare', label: 'Hono, bare' },
  { id: 'hono-passthrough', framework: 'hono', role: 'passthrough', label: 'Hono, two pass-through middlewares' },
  { id: 'hono-scopeguard', framework: 'hono', role: 'ours', label: 'Hono, scopeguard auth() + requireScopes()' },
  { id: 'hono-scopeguard-route', framework: 'hono', role: 'ours', label: 'Hono, scopeguard auth().requireScopes() on the route' },
  { id: 'hono-scopeguard-protect', framework: 'hono', role: 'ours', label: 'Hono, scopeguard authenticate.protect() around the handler' },
  { id: 'hono-jwk', framework: 'hono', role: 'peer', label: 'Hono, hono/jwk' },
  { id: 'node-bare', framework: 'node', role: 'bare', label: 'node:http, bare' },
  { id: 'node-scopeguard', framework: 'node', role: 'ours', label: 'node:http, scopeguard authenticate.protect()' },
]

/** The variants named in `ids` (all but the pass-through servers when `undefined`), in table order. */
export function selectVariants(ids: readonly string[] | undefined, fallback: (variant: Variant) => boolean): Variant[] {
  for (const id of ids ?? []) {
    if (!VARIANTS.some((variant) => variant.id === id)) throw new Error(`unknown variant "${id}"; known: ${VARIANTS.map((v) => v.id).join(', ')}`)
  }
  return VARIANTS.filter((variant) => (ids === undefined ? fallback(variant) : ids.includes(variant.id)))
}
