// The two sides of the oracle: scopeguard through its public entry, and jose's jwtVerify given
// the same keys and equivalent options. Both read the time from Date.now(), which the test
// files freeze (scopeguard checks exp/nbf/iat against Date.now(); its `clock` option only
// drives key and token caching, so it is given the same source).

import type { KeyObject } from 'node:crypto'
import { createAuthenticator, isAuthError, type AuthOptions, type Authenticator, type LocalKey } from '@scopeguard/core'
import { errors, jwtVerify, type JWK, type JWTVerifyOptions } from 'jose'
import { ASYMMETRIC_ALGS, familyOf, HMAC_ALGS, type KeyName, type KeyPool, type SecretName } from './keys.js'

/** How a configured key is handed to scopeguard's `keys` option. */
export const KEY_FORMS = ['keyobject', 'pem', 'jwk', 'jwk+kid', 'jwk+kid+alg', 'jwks', 'private-keyobject', 'private-pem', 'private-jwk+kid'] as const
export type KeyForm = (typeof KEY_FORMS)[number]

export interface ConfiguredKey {
  readonly key: KeyName
  readonly form: KeyForm
}

/** The verifier configuration both sides get, as plain data (it shows up in counterexamples). */
export interface OracleConfig {
  readonly source:
    | { readonly kind: 'keys'; readonly keys: readonly ConfiguredKey[]; readonly single: boolean }
    | { readonly kind: 'secret'; readonly secret: SecretName; readonly form: 'string' | 'bytes' }
    /** A secret given as raw bytes, any length: only for the short-secret strictness entry. */
    | { readonly kind: 'secret-bytes'; readonly bytes: Uint8Array }
  readonly issuer: string | readonly string[]
  readonly audience: string | readonly string[]
  readonly algorithms?: readonly string[]
  readonly clockTolerance?: number
  readonly maxTokenAge?: number
  readonly requiredClaims?: readonly string[]
  readonly strictRfc9068?: boolean
  readonly tokenCache?: boolean
}

// scopeguard's documented defaults (options.ts doc comments), written out here rather than
// read from the implementation, so that a changed default shows up as a disagreement.
export const DEFAULT_TOLERANCE = 5
const DEFAULT_REQUIRED = ['exp']
const RFC9068_REQUIRED = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']
export const LENIENT_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt', 'application/jwt'])
export const DEFAULT_MAX_TOKEN_LENGTH = 8192

/** The options as scopeguard documents their meaning, defaults applied. */
export interface ResolvedConfig {
  readonly issuers: string[]
  readonly audiences: string[]
  readonly algorithms: string[]
  readonly clockTolerance: number
  readonly maxTokenAge: number | undefined
  readonly requiredClaims: string[]
  readonly strict: boolean
}

const list = (value: string | readonly string[]): string[] => (typeof value === 'string' ? [value] : [...value])

export function resolveConfig(config: OracleConfig): ResolvedConfig {
  const symmetric = config.source.kind !== 'keys'
  const strict = config.strictRfc9068 === true
  const required = config.requiredClaims === undefined ? DEFAULT_REQUIRED : [...config.requiredClaims]
  return {
    issuers: list(config.issuer),
    audiences: list(config.audience),
    algorithms: config.algorithms === undefined ? [...(symmetric ? HMAC_ALGS : ASYMMETRIC_ALGS)] : [...config.algorithms],
    clockTolerance: config.clockTolerance ?? DEFAULT_TOLERANCE,
    maxTokenAge: config.maxTokenAge,
    requiredClaims: strict ? [...new Set([...required, ...RFC9068_REQUIRED])] : required,
    strict,
  }
}

/** What a verifier decided. */
export type Verdict =
  | { readonly ok: true; readonly header: Record<string, unknown>; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string }

const KID_PREFIX = 'kid-'
export const kidOf = (name: KeyName): string => `${KID_PREFIX}${name}`

function localKey(pool: KeyPool, { key, form }: ConfiguredKey): LocalKey {
  const entry = pool.keys[key]
  switch (form) {
    case 'keyobject': return entry.publicKey
    case 'pem': return entry.publicPem
    case 'private-keyobject': return entry.privateKey
    case 'private-pem': return entry.privatePem
    case 'jwk': return { ...entry.publicJwk }
    case 'jwk+kid': return { ...entry.publicJwk, kid: kidOf(key) }
    case 'jwk+kid+alg': return { ...entry.publicJwk, kid: kidOf(key), alg: entry.alg }
    case 'jwks': return { keys: [{ ...entry.publicJwk, kid: kidOf(key) }] }
    case 'private-jwk+kid': return { ...entry.privateJwk, kid: kidOf(key) }
  }
}

function secretBytes(pool: KeyPool, source: OracleConfig['source']): Uint8Array | undefined {
  if (source.kind === 'secret') return pool.secrets[source.secret].bytes
  if (source.kind === 'secret-bytes') return source.bytes
  return undefined
}

/** scopeguard's options for `config`: the oracle's settings and nothing else. */
export function scopeguardOptions(pool: KeyPool, config: OracleConfig): AuthOptions {
  const { source } = config
  const keys = source.kind === 'keys'
    ? { keys: source.single && source.keys.length === 1 ? localKey(pool, source.keys[0] as ConfiguredKey) : source.keys.map((key) => localKey(pool, key)) }
    : { secret: source.kind === 'secret' && source.form === 'string' ? pool.secrets[source.secret].text : secretBytes(pool, source) }
  return {
    issuer: config.issuer,
    audience: config.audience,
    ...keys,
    ...(config.algorithms === undefined ? {} : { algorithms: config.algorithms }),
    ...(config.clockTolerance === undefined ? {} : { clockTolerance: config.clockTolerance }),
    ...(config.maxTokenAge === undefined ? {} : { maxTokenAge: config.maxTokenAge }),
    ...(config.requiredClaims === undefined ? {} : { requiredClaims: config.requiredClaims }),
    ...(config.strictRfc9068 === undefined ? {} : { strictRfc9068: config.strictRfc9068 }),
    tokenCache: config.tokenCache ?? false,
    clock: () => Date.now(),
  }
}

/** A scopeguard authenticator for `config`, or the TypeError its options were refused with. */
export function scopeguardAuthenticator(pool: KeyPool, config: OracleConfig): Authenticator | TypeError {
  try {
    return createAuthenticator(scopeguardOptions(pool, config))
  } catch (error) {
    if (error instanceof TypeError) return error
    throw error
  }
}

/** Presents `token` in an `Authorization: Bearer` line. Anything but an AuthError is a defect and thrown. */
export async function presentToken(authenticator: Authenticator, token: string): Promise<Verdict> {
  try {
    const result = await authenticator.authenticate({ authorization: `Bearer ${token}` })
    if (result === undefined) throw new Error('scopeguard resolved without a result for a request with a token')
    return { ok: true, header: result.header as Record<string, unknown>, claims: result.claims as Record<string, unknown> }
  } catch (error) {
    if (!isAuthError(error)) throw error
    // Local keys and secrets never need the network: "unavailable" would be a defect.
    if (error.code === 'keys_unavailable') throw new Error('scopeguard reported keys_unavailable for local keys', { cause: error })
    return { ok: false, reason: error.code }
  }
}

/** scopeguard's verdict on `token` under `config` (a fresh authenticator, no token cache unless configured). */
export async function scopeguardVerdict(pool: KeyPool, config: OracleConfig, token: string): Promise<Verdict> {
  const authenticator = scopeguardAuthenticator(pool, config)
  if (authenticator instanceof TypeError) return { ok: false, reason: `options refused: ${authenticator.message}` }
  return presentToken(authenticator, token)
}

/** jose's jwtVerify options equivalent to `config` at `nowMs`. */
export function joseOptions(config: OracleConfig, nowMs: number): JWTVerifyOptions {
  const resolved = resolveConfig(config)
  return {
    issuer: resolved.issuers,
    audience: resolved.audiences,
    algorithms: resolved.algorithms,
    clockTolerance: resolved.clockTolerance,
    requiredClaims: resolved.requiredClaims,
    currentDate: new Date(nowMs),
    ...(resolved.maxTokenAge === undefined ? {} : { maxTokenAge: resolved.maxTokenAge }),
    // Strict RFC 9068 mode is exactly jose's typ check. Lenient mode has no jose equivalent
    // (jose checks typ only when asked): that difference is a documented strictness entry.
    ...(resolved.strict ? { typ: 'at+jwt' } : {}),
  }
}

interface Candidate {
  readonly name: KeyName
  readonly kid: string | undefined
  readonly alg: string | undefined
  readonly publicKey: KeyObject
}

function candidateOf(pool: KeyPool, { key, form }: ConfiguredKey): Candidate {
  const entry = pool.keys[key]
  const named = form === 'jwk+kid' || form === 'jwk+kid+alg' || form === 'jwks' || form === 'private-jwk+kid'
  return { name: key, kid: named ? kidOf(key) : undefined, alg: form === 'jwk+kid+alg' ? entry.alg : undefined, publicKey: entry.publicKey }
}

/**
 * The configured keys that may verify a token with this header, by the rules scopeguard
 * documents for local keys (key-source.ts), written independently of its code: the key must
 * suit `alg` (RSA for RS/PS, the alg's curve for ES, Ed25519 for EdDSA), carry that `alg` if
 * it has one, and carry the token's `kid` if the token names one; when no named key matches
 * a token's `kid`, keys given without a `kid` still may (the application chose them itself).
 * This last rule is the one deliberate leniency over jose's createLocalJWKSet.
 */
export function joseCandidates(pool: KeyPool, keys: readonly ConfiguredKey[], header: { alg?: unknown; kid?: unknown }): KeyObject[] {
  const alg = typeof header.alg === 'string' ? header.alg : ''
  const family = familyOf(alg)
  const suitable = keys
    .map((key) => candidateOf(pool, key))
    .filter((key) => family !== undefined && family !== 'hmac' && pool.keys[key.name].family === family && (key.alg === undefined || key.alg === alg))
  const byKid = suitable.filter((key) => header.kid === undefined || (typeof header.kid === 'string' && key.kid === header.kid))
  const chosen = byKid.length > 0 || header.kid === undefined ? byKid : suitable.filter((key) => key.kid === undefined)
  return chosen.map((key) => key.publicKey)
}

/** jose's verdict: jwtVerify with the same key material and equivalent options; any candidate key may verify. */
export async function joseVerdict(pool: KeyPool, config: OracleConfig, token: string, nowMs: number): Promise<Verdict> {
  const options = joseOptions(config, nowMs)
  const { source } = config
  const secret = secretBytes(pool, source)
  let candidates: KeyObject[] | undefined
  let attempt = 0
  for (;;) {
    try {
      const result = secret !== undefined
        ? await jwtVerify(token, secret, options)
        : await jwtVerify(token, (header) => {
            candidates ??= joseCandidates(pool, source.kind === 'keys' ? source.keys : [], header)
            const key = candidates[attempt]
            if (key === undefined) throw new errors.JWKSNoMatchingKey()
            return key
          }, options)
      return { ok: true, header: result.protectedHeader as Record<string, unknown>, claims: result.payload as Record<string, unknown> }
    } catch (error) {
      // A misuse of jose by this harness must not pass for a rejection.
      if (error instanceof TypeError && /option/i.test(error.message)) throw error
      if (candidates !== undefined && ++attempt < candidates.length) continue
      const reason = error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : `${(error as Error).name}: ${(error as Error).message}`
      return { ok: false, reason }
    }
  }
}

/** The public JWK of a pool key, for building JWKS by hand in the dedicated tests. */
export function publicJwk(pool: KeyPool, name: KeyName, extra: Partial<JWK> = {}): JWK {
  return { ...pool.keys[name].publicJwk, ...extra }
}
