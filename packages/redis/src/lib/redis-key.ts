import { createHash } from 'node:crypto'

/** Longest key, after the prefix, stored as given; longer ones are stored under their hash. */
export const MAX_KEY_LENGTH = 256
/** Starts every hashed key, so a given key can never equal a hashed one. */
const HASHED = '#sha256:'

/**
 * The Redis key for `key` under `prefix`. Keys are kept as given, so that an operator can find
 * them (`redis-cli GET scopeguard:revoked:<jti>`); one longer than {@link MAX_KEY_LENGTH}
 * (a `jti` is whatever the issuer put in it) is replaced by its SHA-256, so no key costs Redis
 * more than a few hundred bytes whatever a caller passes.
 */
export function redisKey(prefix: string, key: string): string {
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`scopeguard: a Redis key must be a non-empty string; got ${key === '' ? 'an empty string' : typeof key}.`)
  }
  if (key.length <= MAX_KEY_LENGTH && !key.startsWith(HASHED)) return prefix + key
  return prefix + HASHED + createHash('sha256').update(key).digest('base64url')
}
