/** One server under test: a framework, with or without an authentication middleware. */
export interface Variant {
  /** Stable identifier, used in results: `express-scopeguard`. */
  readonly id: string
  readonly framework: 'express' | 'koa'
  /**
   * `bare`: no authentication; `ours`: scopeguard (as `app.use(auth())` + `requireScopes()`,
   * or in the one-middleware form); `floor`: the cheapest correct check,
   * hand-rolled on jose, with no cache; `peer`: another library; `passthrough`: no
   * authentication, but middlewares that only pass the request on, mounted where the app-wide
   * form mounts its two (what the framework charges for them: the ceiling of any middleware
   * mounted that way).
   */
  readonly role: 'bare' | 'ours' | 'floor' | 'peer' | 'passthrough'
  /** Short name in tables. */
  readonly label: string
  /** The server module, relative to `src/`. */
  readonly module: string
}

/** Whether the variant checks tokens (and so must answer 401 and 403). */
export function authenticates(variant: Variant): boolean {
  return variant.role !== 'bare' && variant.role !== 'passthrough'
}

export const VARIANTS: readonly Variant[] = [
  { id: 'express-bare', framework: 'express', role: 'bare', label: 'bare', module: './servers/express-bare.ts' },
  { id: 'express-scopeguard', framework: 'express', role: 'ours', label: 'scopeguard', module: './servers/express-scopeguard.ts' },
  {
    id: 'express-scopeguard-route',
    framework: 'express',
    role: 'ours',
    label: 'scopeguard, one middleware',
    module: './servers/express-scopeguard-route.ts',
  },
  {
    id: 'express-passthrough',
    framework: 'express',
    role: 'passthrough',
    label: 'pass-through middlewares',
    module: './servers/express-passthrough.ts',
  },
  { id: 'express-jose', framework: 'express', role: 'floor', label: 'jose.jwtVerify (floor)', module: './servers/express-jose.ts' },
  { id: 'express-auth0', framework: 'express', role: 'peer', label: 'express-oauth2-jwt-bearer', module: './servers/express-auth0.ts' },
  { id: 'express-jwt', framework: 'express', role: 'peer', label: 'express-jwt + jwks-rsa', module: './servers/express-jwt.ts' },
  { id: 'koa-bare', framework: 'koa', role: 'bare', label: 'bare', module: './servers/koa-bare.ts' },
  { id: 'koa-scopeguard', framework: 'koa', role: 'ours', label: 'scopeguard', module: './servers/koa-scopeguard.ts' },
  { id: 'koa-scopeguard-route', framework: 'koa', role: 'ours', label: 'scopeguard, one middleware', module: './servers/koa-scopeguard-route.ts' },
  { id: 'koa-passthrough', framework: 'koa', role: 'passthrough', label: 'pass-through middlewares', module: './servers/koa-passthrough.ts' },
  { id: 'koa-jose', framework: 'koa', role: 'floor', label: 'jose.jwtVerify (floor)', module: './servers/koa-jose.ts' },
  { id: 'koa-jwt', framework: 'koa', role: 'peer', label: 'koa-jwt + jwks-rsa', module: './servers/koa-jwt.ts' },
]

/** How tokens are sent: one token on every request, or a pool cycled so no verified-token cache can help. */
export type TokenMode = 'reused' | 'distinct'

export const TOKEN_MODES: readonly TokenMode[] = ['reused', 'distinct']
