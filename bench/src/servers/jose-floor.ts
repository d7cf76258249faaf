// The floor: the least work a correct bearer check can do, hand-rolled on jose, shared by
// express-jose.ts and koa-jose.ts so both frameworks measure exactly the same check. No
// cache and no JWKS refresh: every request verifies a signature with a key imported once.
import { importJWK, jwtVerify, type CryptoKey, type JWK, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose'
import type { ServerSettings } from './serve.js'

/** Why a request is refused: the status, its `WWW-Authenticate` challenge and a body error code. */
export interface Refusal {
  readonly status: 401 | 403
  readonly challenge: string
  readonly error: string
}

/** Checks one request's `Authorization` header: `undefined` lets it through. */
export type FloorCheck = (authorization: string | undefined) => Promise<Refusal | undefined>

// Built once: a refusal allocates nothing per request. No bearer token at all (or another
// scheme) gets the bare challenge, without an error code (RFC 6750 §3.1).
const NO_TOKEN: Refusal = { status: 401, challenge: 'Bearer', error: 'unauthorized' }
const INVALID_TOKEN: Refusal = { status: 401, challenge: 'Bearer error="invalid_token"', error: 'invalid_token' }

// RFC 6750 §2.1: the scheme is case-insensitive, then one token in b64token syntax.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i

/**
 * Fetches the issuer's JWKS once, imports its signing keys (keyed by `kid`) and returns the
 * check: `Bearer` token, `jose.jwtVerify` with the same options as the microbenchmark's
 * jose floor (issuer, audience, one algorithm, 5 s clock tolerance, `exp` required), then
 * the required scope in the space-delimited `scope` claim.
 */
export async function createFloorCheck(settings: ServerSettings): Promise<FloorCheck> {
  const keys = await importKeys(settings)
  // jose parses the protected header anyway and hands it here, so picking the key by `kid`
  // costs no second parse. The issuer puts a `kid` on every token; none, or an unknown one,
  // is refused (the throw becomes a 401 below).
  const getKey: JWTVerifyGetKey = (header) => {
    const key = header.kid === undefined ? undefined : keys.get(header.kid)
    if (key === undefined) throw new Error('no key for this kid')
    return key
  }
  const options: JWTVerifyOptions = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: [settings.algorithm],
    clockTolerance: 5,
    requiredClaims: ['exp'],
  }
  const insufficientScope: Refusal = {
    status: 403,
    challenge: `Bearer error="insufficient_scope", scope="${settings.scope}"`,
    error: 'insufficient_scope',
  }

  return async (authorization) => {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]
    if (token === undefined) return NO_TOKEN
    let scope: unknown
    try {
      scope = (await jwtVerify(token, getKey, options)).payload.scope
    } catch {
      return INVALID_TOKEN
    }
    return typeof scope === 'string' && scope.split(' ').includes(settings.scope) ? undefined : insufficientScope
  }
}

/** The JWKS's keys for `settings.algorithm`, imported once, by `kid`. */
async function importKeys(settings: ServerSettings): Promise<Map<string, CryptoKey>> {
  const response = await fetch(settings.jwksUri)
  if (!response.ok) throw new Error(`JWKS ${settings.jwksUri} answered ${response.status}`)
  const { keys } = (await response.json()) as { keys: JWK[] }
  const imported = new Map<string, CryptoKey>()
  for (const jwk of keys) {
    if (jwk.kid === undefined || jwk.use === 'enc' || (jwk.alg !== undefined && jwk.alg !== settings.algorithm)) continue
    imported.set(jwk.kid, (await importJWK(jwk, settings.algorithm)) as CryptoKey)
  }
  if (imported.size === 0) throw new Error(`JWKS ${settings.jwksUri} has no ${settings.algorithm} key with a kid`)
  return imported
}
