import { createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
} from 'jose'
import { discoverJwksUri } from './discovery.js'
import { fetchJson, type FetchPolicy } from './fetch-json.js'

/** Resolves the verification key for a token from its protected header. */
export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | Uint8Array>

/**
 * The issuer's keys could not be obtained (discovery or JWKS endpoint down, slow, or serving
 * garbage). Not the client's fault, so it becomes a 503, never `invalid_token`.
 */
export class KeysUnavailableError extends Error {
  override readonly name = 'KeysUnavailableError'
}

/** Settings for keys fetched from an issuer. */
export interface RemoteKeySettings {
  readonly issuer: string
  /** Skips discovery when set. */
  readonly jwksUri: string | undefined
  readonly policy: FetchPolicy
  readonly allowHttp: boolean
  /** Milliseconds a fetched JWKS is used before it is fetched again. */
  readonly cacheMaxAge: number
  /** Milliseconds after a fetch before an unknown `kid` may trigger another. */
  readonly cooldown: number
}

// Errors that come from the token (its header names no key we have), not from the issuer.
const TOKEN_CAUSED = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported]

/**
 * Keys from the issuer's JWKS, found through discovery unless `jwksUri` is given. Uses jose's
 * remote JWKS (single-flight fetch, cache, cooldown on unknown `kid`) with our bounded fetch,
 * and tells "the token names no known key" apart from "the issuer cannot be reached".
 */
export function remoteKeyResolver(settings: RemoteKeySettings): KeyResolver {
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined
  let pending: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined

  const boundedFetch = async (url: string, init: { signal: AbortSignal }): Promise<Response> => {
    const body = await fetchJson(url, settings.policy, init.signal)
    return Response.json(body)
  }

  const locate = async (): Promise<ReturnType<typeof createRemoteJWKSet>> => {
    const uri = settings.jwksUri ?? (await discoverJwksUri(settings.issuer, settings.policy, settings.allowHttp))
    return createRemoteJWKSet(new URL(uri), {
      timeoutDuration: settings.policy.timeout,
      cacheMaxAge: settings.cacheMaxAge,
      cooldownDuration: settings.cooldown,
      [customFetch]: boundedFetch,
    })
  }

  return async (header, token) => {
    if (jwks === undefined) {
      // Single flight: concurrent cold requests share one discovery; a failure is not cached.
      pending ??= locate().finally(() => (pending = undefined))
      try {
        jwks = await pending
      } catch (cause) {
        throw new KeysUnavailableError(`cannot locate the JWKS of ${settings.issuer}`, { cause })
      }
    }
    try {
      return await jwks(header, token)
    } catch (error) {
      if (TOKEN_CAUSED.some((type) => error instanceof type)) throw error
      throw new KeysUnavailableError(`cannot fetch the JWKS of ${settings.issuer}`, { cause: error })
    }
  }
}

/** A key the application supplies itself: a JWK, a JWKS, a PEM public key or certificate, or a `KeyObject`. */
export type LocalKey = JWK | JSONWebKeySet | string | KeyObject

/**
 * Keys given in the configuration, normalised to one public JWKS so that selection by `kid`
 * and `alg` works exactly as for remote keys. Private keys are reduced to their public half.
 */
export function localKeyResolver(keys: readonly LocalKey[]): KeyResolver {
  const jwks = keys.flatMap((key, index) => toPublicJwks(key, `keys[${index}]`))
  const set = createLocalJWKSet({ keys: jwks })
  // A key given without a `kid` (a PEM, a KeyObject, a bare JWK) was chosen by the
  // application itself, so it may verify a token whatever `kid` the token names; jose's set
  // would only match it against tokens without a `kid`.
  const unnamed = jwks.filter((jwk) => jwk.kid === undefined)
  const unnamedSet = unnamed.length === 0 ? undefined : createLocalJWKSet({ keys: unnamed })
  return async (header, token) => {
    try {
      return await set(header, token)
    } catch (error) {
      if (unnamedSet === undefined || header.kid === undefined || !(error instanceof errors.JWKSNoMatchingKey)) throw error
      return unnamedSet({ ...header, kid: undefined }, token)
    }
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv'] as const

function toPublicJwks(key: LocalKey, label: string): JWK[] {
  if (typeof key === 'string' || key instanceof KeyObject) {
    let publicKey: KeyObject
    try {
      publicKey = createPublicKey(key)
    } catch (cause) {
      throw new TypeError(
        `scopeguard: ${label} is not a PEM public key, certificate or private key; ` +
          "pass a PEM string starting with '-----BEGIN PUBLIC KEY-----', a JWK or a JWKS.",
        { cause },
      )
    }
    if (publicKey.asymmetricKeyType === undefined) throw new TypeError(`scopeguard: ${label} is not an asymmetric key.`)
    return [publicKey.export({ format: 'jwk' }) as JWK]
  }
  if (typeof key === 'object' && key !== null && Array.isArray((key as JSONWebKeySet).keys)) {
    return (key as JSONWebKeySet).keys.flatMap((jwk, inner) => toPublicJwks(jwk, `${label}.keys[${inner}]`))
  }
  if (typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string') {
    const jwk = key as JWK
    if (jwk.kty === 'oct') {
      throw new TypeError(`scopeguard: ${label} is a symmetric (oct) key; use the secret option for HS algorithms.`)
    }
    const publicJwk: Record<string, unknown> = { ...jwk }
    for (const member of PRIVATE_MEMBERS) delete publicJwk[member]
    try {
      createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' })
    } catch (cause) {
      throw new TypeError(`scopeguard: ${label} is not a valid public JWK.`, { cause })
    }
    return [publicJwk as JWK]
  }
  throw new TypeError(
    `scopeguard: ${label} must be a JWK, a JWKS ({ keys: [...] }), a PEM string or a KeyObject.`,
  )
}

/** Keys for HS* algorithms: one shared secret, never mixed with asymmetric keys. */
export function secretKeyResolver(secret: Uint8Array): KeyResolver {
  return async () => secret
}

