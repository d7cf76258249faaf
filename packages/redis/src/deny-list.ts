import { redisKey } from './lib/redis-key.js'
import { timeBoxed } from './lib/time-box.js'
import { resolveHelperOptions, show } from './lib/validate.js'
import type { RedisHelperOptions } from './options.js'

/** Options of {@link createRedisDenyList}. */
export interface RedisDenyListOptions extends RedisHelperOptions {
  /** Prepended to every key this list writes. Default `'scopeguard:revoked:'`. */
  prefix?: string
  /**
   * How long an entry outlives the `until` it was revoked with, in seconds. scopeguard still
   * accepts a token `clockTolerance` seconds after its `exp`; an entry kept that much longer
   * covers the gap. Default 300, the largest `clockTolerance` `auth()` accepts.
   */
  keepAfterExpiry?: number
}

/**
 * A `jti` deny list on Redis, shared by every instance of the API; see
 * {@link createRedisDenyList}.
 */
export interface RedisDenyList {
  /**
   * Refuses the token with this `jti` from now until `until` (seconds since the epoch,
   * usually the token's `exp`) plus `keepAfterExpiry`; the entry then expires by itself.
   * `SET <prefix><jti> 1 EXAT <until + keepAfterExpiry>`. Resolves without writing anything
   * when that moment has passed: scopeguard refuses the token as expired anyway.
   *
   * @throws TypeError (as a rejection) for an empty `jti` or an `until` that is not a number of
   *   seconds (a value in milliseconds is refused).
   */
  revoke(jti: string, until: number): Promise<void>
  /**
   * Whether the token with these claims was revoked: `GET <prefix><jti>`. A token without a
   * `jti` claim (or with a non-string one) cannot be revoked this way and resolves `false`.
   * Rejects when Redis fails or does not answer within `timeout`; scopeguard then answers 503.
   */
  isRevoked(claims: { jti?: unknown }): Promise<boolean>
}

/** Above this, `until` is surely milliseconds: in seconds it would be after the year 5000. */
const MAX_SECONDS = 100_000_000_000

/**
 * A deny list of access token identifiers (`jti`, RFC 7519 §4.1.7) for revoking JWT access
 * tokens before they expire. Wire it into `auth()` with
 * `isRevoked: (auth) => denyList.isRevoked(auth.claims)`, and call `denyList.revoke(jti, exp)`
 * from wherever tokens are revoked (a logout, an admin action, an identity provider's event).
 *
 * Only tokens with a string `jti` can be revoked: `isRevoked` resolves `false` for the others,
 * so require the claim (`requiredClaims: ['jti']` in `auth()`) if every token must be
 * revocable.
 *
 * @throws TypeError at construction, for a missing client or an invalid `prefix`, `timeout`
 *   or `keepAfterExpiry`.
 */
export function createRedisDenyList(options: RedisDenyListOptions): RedisDenyList {
  const { client, prefix, timeout } = resolveHelperOptions('createRedisDenyList', options, 'scopeguard:revoked:', ['keepAfterExpiry'])
  const keepAfterExpiry = options.keepAfterExpiry ?? 300
  if (typeof keepAfterExpiry !== 'number' || !Number.isInteger(keepAfterExpiry) || keepAfterExpiry < 0 || keepAfterExpiry > 86_400) {
    throw new TypeError(`scopeguard: createRedisDenyList(): \`keepAfterExpiry\` must be a whole number of seconds from 0 to 86400, at least auth()'s clockTolerance, e.g. keepAfterExpiry: 300 (the default); got ${show(keepAfterExpiry)}.`)
  }

  return {
    async revoke(jti: string, until: number): Promise<void> {
      if (typeof jti !== 'string' || jti === '') {
        throw new TypeError(`scopeguard: revoke() needs the token's jti, a non-empty string; got ${show(jti)}.`)
      }
      if (typeof until !== 'number' || !Number.isFinite(until) || until <= 0 || until >= MAX_SECONDS) {
        throw new TypeError(`scopeguard: revoke() needs until in seconds since the epoch, e.g. the token's exp claim (Math.floor(Date.now() / 1000) + 3600 for an hour from now); got ${show(until)}.`)
      }
      const expiresAt = Math.ceil(until) + keepAfterExpiry
      if (expiresAt * 1000 <= Date.now()) return
      await timeBoxed(() => client.set(redisKey(prefix, jti), '1', { expiration: { type: 'EXAT', value: expiresAt } }), 'SET', timeout)
    },

    async isRevoked(claims: { jti?: unknown }): Promise<boolean> {
      const jti = typeof claims === 'object' && claims !== null ? claims.jti : undefined
      if (typeof jti !== 'string' || jti === '') {
        // The whole AuthResult instead of its claims would look like a token without jti:
        // refuse it loudly rather than let every token through.
        if (isAuthResultLike(claims)) throw new TypeError('scopeguard: isRevoked() takes the token\'s claims: isRevoked: (auth) => denyList.isRevoked(auth.claims).')
        return false
      }
      const reply = await timeBoxed(() => client.get(redisKey(prefix, jti)), 'GET', timeout)
      return reply !== null && reply !== undefined
    },
  }
}

function isAuthResultLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { token?: unknown }).token === 'string'
    && typeof (value as { claims?: unknown }).claims === 'object'
}
