import { randomBytes } from 'node:crypto'
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import type { SigningKey } from './signing-key.js'

/**
 * An RFC 7662 §2.2 introspection response: `active`, and for an active token its claims
 * (`iss`, `aud`, `sub`, `client_id`, `scope`, `exp`, `iat`, `jti`, `cnf`…) and `token_type`.
 */
export interface IntrospectionResponse {
  /** Whether the token is active: issued here, not expired, not yet revoked. */
  readonly active: boolean
  /** `'Bearer'`, or `'DPoP'` for a token bound to a DPoP key (RFC 9449 §6.2). Only when active. */
  readonly token_type?: 'Bearer' | 'DPoP'
  /** The token's claims, when active. */
  readonly [member: string]: unknown
}

/** What the issuer remembers about the tokens it handed out: opaque tokens' claims, and revocations. */
export interface TokenRegistry {
  /** Remembers `claims` under a new random opaque token, and returns the token. */
  opaque(claims: JWTPayload): string
  /** Revokes a token (opaque or JWT); unknown tokens are remembered too, as revoked. */
  revoke(token: string): void
  /** Whether {@link TokenRegistry.revoke} was called for this token. */
  isRevoked(token: string): boolean
  /** What the introspection endpoint answers about a token. */
  introspect(token: string): Promise<IntrospectionResponse>
}

/** Prefix of opaque tokens: recognisable in logs, and never JWT-shaped (no dots). */
export const OPAQUE_PREFIX = 'opaque_'

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false })
// RFC 9701 §5 types its responses so that one is never taken for an access token; a response
// is signed with the issuer's key and would otherwise introspect as active.
const RESPONSE_TYP = /^(application\/)?token-introspection\+jwt$/i

/**
 * Creates the registry of an issuer whose identifier is `issuer` and whose published keys
 * `publishedKeys()` returns (read at each introspection, so rotation and retirement count).
 */
export function createTokenRegistry(issuer: string, publishedKeys: () => readonly SigningKey[]): TokenRegistry {
  const opaqueTokens = new Map<string, JWTPayload>()
  const revoked = new Set<string>()

  async function ownJwtClaims(token: string): Promise<JWTPayload | undefined> {
    const keys = publishedKeys()
    try {
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: keys.map((key) => key.publicJwk) }), {
        issuer,
        algorithms: [...new Set(keys.map((key) => key.alg))],
      })
      return typeof protectedHeader.typ === 'string' && RESPONSE_TYP.test(protectedHeader.typ) ? undefined : payload
    } catch {
      // Not signed by a published key, expired, not yet valid, another issuer: not active.
      return undefined
    }
  }

  return {
    opaque(claims) {
      const token = `${OPAQUE_PREFIX}${randomBytes(32).toString('base64url')}`
      opaqueTokens.set(token, structuredClone(claims))
      return token
    },
    revoke(token) {
      revoked.add(token)
    },
    isRevoked: (token) => revoked.has(token),
    async introspect(token) {
      if (revoked.has(token)) return INACTIVE
      const claims = opaqueTokens.get(token) ?? (token.split('.').length === 3 ? await ownJwtClaims(token) : undefined)
      if (claims === undefined || !currentlyValid(claims)) return INACTIVE
      const { active: _active, ...members } = claims as JWTPayload & { active?: unknown }
      const cnf = members.cnf as { jkt?: unknown } | undefined
      return { active: true, ...members, token_type: typeof cnf?.jkt === 'string' ? 'DPoP' : 'Bearer' }
    },
  }
}

// RFC 7662 §2.2: active means, among others, "has not expired" and is valid "at this time".
// (jwtVerify checks the same for JWTs; opaque tokens' claims are checked here.)
function currentlyValid(claims: JWTPayload): boolean {
  const now = Date.now() / 1000
  if (typeof claims.exp === 'number' && claims.exp <= now) return false
  return !(typeof claims.nbf === 'number' && claims.nbf > now)
}
