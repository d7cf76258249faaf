import { createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto'
import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
} from 'jose'
import { discoverJwksUri } from './discovery.js'
import { fetchJson, type FetchPolicy } from '../lib/fetch-json.js'
import type { VerificationKey } from './jws-signature.js'
import { emitter, type KeySourceEventHandler } from './key-source-event.js'
import { RefreshingValue, type RefreshPolicy } from '../lib/refreshing-value.js'
import { usableKeys, withoutPrivateMembers } from './usable-keys.js'

/** Resolves the verification key for a token from its protected header. */
export interface KeyResolver {
  (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<VerificationKey>
  /**
   * Increases whenever a key disappears from the source, so results verified before that
   * (the verified-token cache) are not trusted any more. Absent for sources that never change.
   */
  readonly generation?: () => number
}

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
  /** Accepted algorithms: keys whose `alg` is outside them are skipped. */
  readonly algorithms: readonly string[]
  /** Caching of the JWKS (and, with `maxAge` replaced, of the metadata). */
  readonly refresh: RefreshPolicy
  /** Milliseconds metadata is used before it is fetched again. */
  readonly metadataMaxAge: number
  /** Milliseconds after a fetch before an unknown `kid` may trigger another. */
  readonly cooldown: number
  readonly clock: () => number
  readonly onEvent: KeySourceEventHandler | undefined
}

/** A fetched JWKS, reduced to its usable keys, with jose's selection by `kid` / `alg`. */
interface KeySet {
  readonly select: ReturnType<typeof createLocalJWKSet>
}

/**
 * Keys from the issuer's JWKS, found through discovery unless `jwksUri` is given, cached
 * with stale-while-revalidate, stale-if-error and backoff (see {@link RefreshingValue}).
 * An unknown `kid` refetches at most once per cooldown, however many arrive, so forged kids
 * cannot turn into a flood of fetches. Tells "the token names no key we have" (401) apart
 * from "the issuer cannot be reached" ({@link KeysUnavailableError}, 503).
 */
export function remoteKeyResolver(settings: RemoteKeySettings): KeyResolver {
  const { issuer, clock } = settings
  const emit = emitter(settings.onEvent)
  const limit = settings.refresh.maxAge + settings.refresh.staleIfError

  const metadata = settings.jwksUri !== undefined
    ? undefined
    : new RefreshingValue(
        () => discoverJwksUri(issuer, settings.policy, settings.allowHttp),
        { ...settings.refresh, maxAge: settings.metadataMaxAge },
        clock,
        {
          loaded: (jwksUri) => emit({ type: 'metadata_fetched', issuer, jwksUri }),
          failed: (error, _stale, retryIn) => emit({ type: 'refresh_failed', issuer, resource: 'metadata', error, retryIn }),
        },
      )

  let generation = 0
  let known = new Set<string>()
  const jwks = new RefreshingValue<KeySet>(
    async () => {
      const url = settings.jwksUri ?? (await (metadata as RefreshingValue<string>).get())
      const { keys, skipped } = usableKeys(await fetchJson(url, settings.policy), settings.algorithms)
      if (keys.length === 0) throw new Error(`${url}: the JWKS has no usable signing keys (${skipped} skipped)`)
      const current = new Set(keys.map(keyIdentity))
      if ([...known].some((id) => !current.has(id))) generation++
      known = current
      emit({ type: 'keys_fetched', issuer, url, keys: keys.length, skipped })
      return { select: createLocalJWKSet({ keys }) }
    },
    settings.refresh,
    clock,
    {
      loaded: () => {},
      failed(error, stale, retryIn) {
        emit({ type: 'refresh_failed', issuer, resource: 'jwks', error, retryIn })
        if (stale === undefined || stale >= limit) emit({ type: 'keys_unavailable', issuer, error })
        else if (stale >= settings.refresh.maxAge) emit({ type: 'serving_stale', issuer, age: stale })
      },
    },
  )

  const resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    let set: KeySet
    try {
      set = await jwks.get()
    } catch (cause) {
      throw new KeysUnavailableError(`cannot obtain the JWKS of ${issuer}`, { cause })
    }
    try {
      return await set.select(header, token)
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error
      // Perhaps a key rotated in since the last fetch: look once per cooldown. If the issuer
      // cannot be reached to look, the token may well be valid: not the client's fault (503).
      const outcome = await jwks.refreshIfOlderThan(settings.cooldown)
      if (outcome === 'cooling') throw error
      if (outcome === 'failed') throw new KeysUnavailableError(`cannot refresh the JWKS of ${issuer} for an unknown kid`, { cause: error })
      return outcome.refreshed.select(header, token)
    }
  }
  return Object.assign(resolve, { generation: () => generation })
}

/** What makes a key the same key across fetches: its type, id and public material. */
function keyIdentity(jwk: JWK): string {
  return `${jwk.kty}|${jwk.kid ?? ''}|${jwk.n ?? jwk.x ?? ''}|${jwk.y ?? ''}`
}

/** A key returned by a custom key function: a `KeyObject`, a `CryptoKey`, or a PEM public key or certificate. */
export type CustomKey = KeyObject | CryptoKey | string

// Node 20's global WebCrypto key class; the ES2023 lib without DOM does not declare it.
const WebCryptoKey = (globalThis as unknown as { CryptoKey: abstract new () => object }).CryptoKey

/** A custom key source, such as a `jwks-rsa` client: returns the key for a token's header. */
export type GetKey = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CustomKey | null | undefined> | CustomKey | null | undefined

/**
 * Adapts a custom key function. No key (`null` / `undefined`), jose's `JWKSNoMatchingKey` or
 * jwks-rsa's `SigningKeyNotFoundError` mean the token names an unknown key (401); any other
 * failure means the keys could not be obtained (503). PEM strings are parsed once and kept.
 */
export function customKeyResolver(getKey: GetKey): KeyResolver {
  const parsed = new Map<string, KeyObject>()
  return async (header, token) => {
    let key: CustomKey | null | undefined
    try {
      key = await getKey(header, token)
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || (error as { name?: unknown } | null)?.name === 'SigningKeyNotFoundError') {
        throw new errors.JWKSNoMatchingKey(undefined, { cause: error })
      }
      throw new KeysUnavailableError('the custom key source failed', { cause: error })
    }
    if (key === null || key === undefined) throw new errors.JWKSNoMatchingKey()
    if (key instanceof KeyObject || key instanceof WebCryptoKey) return key as VerificationKey
    if (typeof key !== 'string') throw new KeysUnavailableError(`the custom key source returned ${typeof key}, not a key`)
    let object = parsed.get(key)
    if (object === undefined) {
      try {
        object = createPublicKey(key)
      } catch (cause) {
        throw new KeysUnavailableError('the custom key source returned a string that is not a PEM key', { cause })
      }
      if (parsed.size >= 64) parsed.clear() // keys rotate rarely; a bound keeps a misbehaving source from growing it
      parsed.set(key, object)
    }
    return object
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

function toPublicJwks(key: LocalKey, label: string): JWK[] {
  if (typeof key === 'string' || key instanceof KeyObject) {
    let publicKey: KeyObject
    try {
      // createPublicKey derives from a private KeyObject only; a public one is used as it is.
      publicKey = key instanceof KeyObject && key.type === 'public' ? key : createPublicKey(key)
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
    const publicJwk = withoutPrivateMembers(jwk as Record<string, unknown>)
    try {
      createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' })
    } catch (cause) {
      throw new TypeError(`scopeguard: ${label} is not a valid public JWK.`, { cause })
    }
    return [publicJwk]
  }
  throw new TypeError(
    `scopeguard: ${label} must be a JWK, a JWKS ({ keys: [...] }), a PEM string or a KeyObject.`,
  )
}

/** Keys for HS* algorithms: one shared secret, never mixed with asymmetric keys. */
export function secretKeyResolver(secret: Uint8Array): KeyResolver {
  return async () => secret
}

