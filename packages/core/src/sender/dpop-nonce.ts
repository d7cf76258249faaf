import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'

/** Options of {@link createDpopNonces}. */
export interface DpopNonceOptions {
  /**
   * The key nonces are authenticated with: at least 32 bytes (a string counts its UTF-8
   * bytes). Every instance of the API that clients may reach must be given the same secret,
   * or a nonce handed out by one instance is refused by the next. Default: 32 random bytes,
   * which suits a single instance only.
   */
  readonly secret?: Uint8Array | string
  /** How long one nonce is handed out, in seconds; it is accepted for up to twice that. */
  readonly lifetime: number
  /** The current time in epoch milliseconds. */
  readonly clock: () => number
}

/** Server-provided DPoP nonces (RFC 9449 §9): what to hand out, and whether one is recent. */
export interface DpopNonces {
  /** The nonce to send in `DPoP-Nonce` now. Changes every `lifetime` seconds. */
  current(): string
  /** `'valid'` for a nonce of the current or the previous window, `'invalid'` for anything else. */
  check(nonce: string | undefined): 'valid' | 'invalid'
}

// A nonce is base64url(window || tag): the window number (8 bytes, big-endian) and the first
// 16 bytes of HMAC-SHA256(secret, label || window). 128 bits of tag are beyond guessing
// (RFC 2104 §5 allows truncation to half the hash), and the 32 characters are all
// base64url, within RFC 9449 §8.1's NQCHAR. The label keeps a secret that is also used
// elsewhere from producing tags that mean something here.
const LABEL = Buffer.from('scopeguard DPoP nonce v1\0')
const WINDOW_BYTES = 8
const TAG_BYTES = 16
const NONCE_LENGTH = 32 // base64url of WINDOW_BYTES + TAG_BYTES, no padding needed
const NONCE_SYNTAX = /^[A-Za-z0-9_-]{32}$/
const MIN_SECRET_BYTES = 32

interface Window {
  readonly bytes: Buffer
  readonly text: string
}

/**
 * Stateless rotating nonces for RFC 9449 §9 (resource server-provided nonces), which give the
 * server its own bound on how old a proof may be (§11.1) without storing anything: a nonce is
 * a time window authenticated with `secret`. `current()` changes when the window does, every
 * `lifetime` seconds; `check()` accepts a nonce of the current window or the one before, so
 * a nonce stays usable for between `lifetime` and twice that.
 *
 * No state is shared between instances: several instances of an API accept each other's
 * nonces only when given the same `secret`. Without one, each instance draws its own random
 * secret, which is right for a single instance only. Their clocks must also agree to well
 * within `lifetime`: a nonce of a window another instance has not reached yet is refused
 * there (the client then gets that instance's nonce and retries, RFC 9449 §9).
 *
 * @throws TypeError when `secret` is shorter than 32 bytes, `lifetime` is not a positive
 *   number of seconds, or `clock` is not a function.
 */
export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  const key = secretKey(options.secret)
  const { lifetime, clock } = options
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime <= 0) {
    throw new TypeError(`DPoP nonce \`lifetime\` must be a positive number of seconds, e.g. lifetime: 300; got ${String(lifetime)}.`)
  }
  if (typeof clock !== 'function') throw new TypeError('DPoP nonce `clock` must be a function returning the time in epoch milliseconds, e.g. clock: Date.now.')
  const windowMs = lifetime * 1000

  // The last few windows computed, so current() is one division and one lookup per request.
  const windows = new Map<number, Window>()
  const windowOf = (number: number): Window => {
    let window = windows.get(number)
    if (window === undefined) {
      const bytes = Buffer.alloc(WINDOW_BYTES + TAG_BYTES)
      bytes.writeBigInt64BE(BigInt(number))
      createHmac('sha256', key).update(LABEL).update(bytes.subarray(0, WINDOW_BYTES)).digest().copy(bytes, WINDOW_BYTES, 0, TAG_BYTES)
      window = { bytes, text: bytes.toString('base64url') }
      windows.set(number, window)
      // Oldest first (Map insertion order): keep the current, previous and maybe next windows.
      if (windows.size > 3) windows.delete(windows.keys().next().value as number)
    }
    return window
  }
  const currentWindow = (): number => {
    const now = clock()
    const number = Math.floor(now / windowMs)
    if (!Number.isSafeInteger(number)) throw new TypeError(`DPoP nonce \`clock\` must return the time in epoch milliseconds; it returned ${String(now)}.`)
    return number
  }

  return {
    current: () => windowOf(currentWindow()).text,
    check(nonce) {
      if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH || !NONCE_SYNTAX.test(nonce)) return 'invalid'
      const bytes = Buffer.from(nonce, 'base64url')
      const number = Number(bytes.readBigInt64BE(0))
      const now = currentWindow()
      // RFC 9449 §9: the nonce bounds the proof's age; one from further back (or ahead) is stale.
      if (number !== now && number !== now - 1) return 'invalid'
      // Constant time, so response timing says nothing about how much of a forged tag was right.
      return timingSafeEqual(bytes, windowOf(number).bytes) ? 'valid' : 'invalid'
    },
  }
}

function secretKey(secret: Uint8Array | string | undefined): KeyObject {
  if (secret === undefined) return createSecretKey(randomBytes(MIN_SECRET_BYTES))
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret instanceof Uint8Array ? secret : undefined
  if (bytes === undefined || bytes.length < MIN_SECRET_BYTES) {
    const got = bytes === undefined ? typeof secret : `${bytes.length} bytes`
    throw new TypeError(`DPoP nonce \`secret\` must be a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes, the same for every instance of the API, e.g. crypto.randomBytes(32); got ${got}.`)
  }
  // createSecretKey copies the bytes: a caller reusing its buffer cannot change our key.
  return createSecretKey(bytes)
}
