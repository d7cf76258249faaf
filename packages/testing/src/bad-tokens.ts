import { createHmac, randomUUID } from 'node:crypto'
import { base64url, type JWTPayload } from 'jose'
import { signToken, type TokenOptions } from './mint-token.js'
import { generateSigningKey, type SigningKey } from './signing-key.js'

/**
 * Tokens a correct resource server must reject, each named for the attack or mistake it
 * stands for. Each accepts the usual {@link TokenOptions} (e.g. a scope), so the only
 * thing wrong with the token is what its name says.
 */
export interface BadTokens {
  /** `exp` one hour in the past (well beyond any clock tolerance). 401 `invalid_token`. */
  expired(options?: TokenOptions): Promise<string>
  /** `nbf` one hour in the future. 401 `invalid_token`. */
  notYetValid(options?: TokenOptions): Promise<string>
  /** `aud` of another API. 401 `invalid_token`. */
  wrongAudience(options?: TokenOptions): Promise<string>
  /** `iss` of another issuer, signed with this issuer's key. 401 `invalid_token`. */
  wrongIssuer(options?: TokenOptions): Promise<string>
  /** Signed by a key the issuer never published, under a published `kid`. 401 `invalid_token`. */
  unknownKey(options?: TokenOptions): Promise<string>
  /** Signed by an unpublished key under a `kid` the JWKS does not have. 401 `invalid_token`. */
  unknownKid(options?: TokenOptions): Promise<string>
  /** A valid token whose payload was changed (scope widened) after signing. 401 `invalid_token`. */
  tampered(options?: TokenOptions): Promise<string>
  /** A valid token with its signature removed (`header.payload.`). 401 `invalid_token`. */
  signatureStripped(options?: TokenOptions): Promise<string>
  /** An unsecured JWT, `alg: none` (RFC 8725 §2.1). 401 `invalid_token`. */
  algNone(options?: TokenOptions): Promise<string>
  /** HS256 "signed" with the issuer's public key as the HMAC secret: key confusion (RFC 8725 §2.1). 401 `invalid_token`. */
  hmacWithPublicKey(options?: TokenOptions): Promise<string>
  /** Signed by an attacker key that is embedded in the `jwk` header. 401 `invalid_token`. */
  embeddedJwk(options?: TokenOptions): Promise<string>
  /** Signed by an attacker key, with a `jku` header pointing at the attacker's JWKS. 401 `invalid_token`. */
  jku(options?: TokenOptions): Promise<string>
}

const HOUR = 3600

function encode(value: unknown): string {
  return base64url.encode(JSON.stringify(value))
}

/** What bad tokens are made from: an issuer's key and its minting (a fake issuer fits). */
export interface TokenMint {
  readonly signingKey: SigningKey
  token(options?: TokenOptions): Promise<string>
  claims(options?: TokenOptions): JWTPayload
}

/** Builds the {@link BadTokens} of an issuer. */
export function createBadTokens(issuer: TokenMint): BadTokens {
  const now = (): number => Math.floor(Date.now() / 1000)
  const signWithStranger = async (options: TokenOptions, header: (jwk: Record<string, unknown>, kid: string) => Record<string, unknown>): Promise<string> => {
    const stranger = await generateSigningKey(issuer.signingKey.alg)
    return signToken(stranger, issuer.claims(options), { ...header(stranger.publicJwk as Record<string, unknown>, stranger.kid), ...options.header })
  }
  const withClaims = (options: TokenOptions, claims: Record<string, unknown>): TokenOptions => ({
    ...options,
    claims: { ...claims, ...options.claims },
  })

  return {
    expired: (options = {}) => issuer.token({ ...options, now: now() - 2 * HOUR, expiresIn: HOUR }),
    notYetValid: (options = {}) => issuer.token(withClaims(options, { nbf: now() + HOUR })),
    wrongAudience: (options = {}) => issuer.token({ ...options, audience: 'https://another-api.example.com' }),
    wrongIssuer: (options = {}) => issuer.token(withClaims(options, { iss: 'https://evil.example.com/' })),
    unknownKey: (options = {}) => signWithStranger(options, () => ({ kid: issuer.signingKey.kid })),
    unknownKid: (options = {}) => signWithStranger(options, (_jwk, kid) => ({ kid })),
    async tampered(options = {}) {
      const [header, , signature] = (await issuer.token(options)).split('.')
      const widened: JWTPayload = { ...issuer.claims(options), scope: 'admin', permissions: ['admin'], scp: ['admin'] }
      return `${header}.${encode(widened)}.${signature}`
    },
    async signatureStripped(options = {}) {
      const [header, payload] = (await issuer.token(options)).split('.')
      return `${header}.${payload}.`
    },
    async algNone(options = {}) {
      return `${encode({ alg: 'none', typ: 'at+jwt', ...options.header })}.${encode(issuer.claims(options))}.`
    },
    async hmacWithPublicKey(options = {}) {
      const input = `${encode({ alg: 'HS256', typ: 'at+jwt', kid: issuer.signingKey.kid, ...options.header })}.${encode(issuer.claims(options))}`
      const signature = createHmac('sha256', issuer.signingKey.publicPem).update(input).digest('base64url')
      return `${input}.${signature}`
    },
    embeddedJwk: (options = {}) => signWithStranger(options, (jwk, kid) => ({ kid, jwk })),
    jku: (options = {}) => signWithStranger(options, (_jwk, kid) => ({ kid, jku: `https://evil.example.com/${randomUUID()}/jwks.json` })),
  }
}
