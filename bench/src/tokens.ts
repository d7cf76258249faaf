import { KeyObject, randomUUID, sign } from 'node:crypto'
import { availableParallelism } from 'node:os'
import type { FakeIssuer } from '@scopeguard/testing'

/** Mints a fresh, distinct, signed access token synchronously. */
export interface Minter {
  (): string
  /** The same, signing on the libuv thread pool, so many tokens can be minted on every CPU. */
  async(): Promise<string>
}

/** What every minted token carries besides the issuer's defaults. */
export interface MintOptions {
  /** Space-delimited granted scopes. */
  readonly scope: string
  /** Seconds until `exp`; long enough to outlast the whole run. */
  readonly expiresIn: number
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * Signs with `node:crypto` directly, with the issuer's current key: jose's WebCrypto signing
 * costs a thread-pool round trip and a promise per token, which adds up over a million
 * tokens. The tokens are what `issuer.token()` mints (RFC 9068 claims, `typ: at+jwt`, the
 * key's `kid`), each with its own `jti`.
 */
export function createMinter(issuer: FakeIssuer, options: MintOptions): Minter {
  const key = issuer.signingKey
  if (key.alg !== 'ES256' && key.alg !== 'RS256') throw new Error(`createMinter supports RS256 and ES256, not ${key.alg}`)
  const privateKey = KeyObject.from(key.privateKey)
  // ES256 signatures are the raw r‖s pair in a JWS (RFC 7518 §3.4), not DER.
  const signOptions = key.alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : { key: privateKey }
  const header = encode({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
  const prefix = randomUUID()
  let counter = 0
  const signingInput = (): string => {
    const now = Math.floor(Date.now() / 1000)
    const payload = encode({
      iss: issuer.url,
      sub: 'user-1',
      aud: issuer.audience,
      client_id: 'bench-client',
      iat: now,
      exp: now + options.expiresIn,
      jti: `${prefix}-${counter++}`,
      scope: options.scope,
    })
    return `${header}.${payload}`
  }
  const mint = (): string => {
    const input = signingInput()
    return `${input}.${sign('sha256', Buffer.from(input), signOptions).toString('base64url')}`
  }
  const mintAsync = (): Promise<string> => {
    const input = signingInput()
    return new Promise((resolve, reject) => {
      sign('sha256', Buffer.from(input), signOptions, (error, signature) => {
        if (error !== null) reject(error)
        else resolve(`${input}.${signature.toString('base64url')}`)
      })
    })
  }
  return Object.assign(mint, { async: mintAsync })
}

/** Mints `count` distinct tokens, a few signatures in flight per CPU (RSA signing is slow). */
export async function mintPool(mint: Minter, count: number): Promise<string[]> {
  const tokens: string[] = new Array<string>(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++
      tokens[index] = await mint.async()
    }
  }
  await Promise.all(Array.from({ length: availableParallelism() * 2 }, worker))
  return tokens
}
