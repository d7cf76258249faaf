// One fake issuer per algorithm, and the tokens the bench sends.
import { KeyObject, randomUUID, sign } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { createAuthenticator } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import type { BenchAlgorithm } from './settings.js'

export const AUDIENCE = 'https://api.example.com/bench'
export const REQUIRED_SCOPE = 'read:bench'
/** The required scope among others, so every check has to search. */
const GRANTED_SCOPE = 'openid profile read:bench write:bench'
/** Tokens outlive the longest run. */
const LIFETIME = 4 * 60 * 60

export interface Minter {
  (): string
  /** The same, signing on libuv's pool, so a pool is minted on every CPU. */
  async(): Promise<string>
}

export interface IssuerFixture {
  readonly algorithm: BenchAlgorithm
  readonly issuer: FakeIssuer
  readonly mint: Minter
  /** The one token of the `reused` mode. */
  readonly reused: string
  /** Distinct tokens cycled in the `distinct` mode, more than scopeguard's cache holds. */
  readonly pool: readonly string[]
  /** A valid token without the required scope: every authenticating server must answer 403. */
  readonly withoutScope: string
}

export type TokenMode = 'reused' | 'distinct'
export const TOKEN_MODES: readonly TokenMode[] = ['reused', 'distinct']

/** Starts a fake issuer for `algorithm` and mints `poolSize` distinct tokens. */
export async function createIssuerFixture(algorithm: BenchAlgorithm, poolSize: number): Promise<IssuerFixture> {
  const issuer = await createFakeIssuer({ algorithm, audience: AUDIENCE })
  const mint = createMinter(issuer, GRANTED_SCOPE)
  const pool = await Promise.all(Array.from({ length: availableParallelism() * 2 }, async () => {
    const part: string[] = []
    while (part.length * availableParallelism() * 2 < poolSize) part.push(await mint.async())
    return part
  }))
  return { algorithm, issuer, mint, reused: mint(), pool: pool.flat().slice(0, poolSize), withoutScope: createMinter(issuer, 'openid profile')() }
}

/**
 * Signs with node:crypto directly (jose's WebCrypto signing costs a pool round trip and a
 * promise per token), with the issuer's key, the claims `issuer.token()` puts in (RFC 9068,
 * `typ: at+jwt`, the key's `kid`) and a `jti` of its own per token.
 */
function createMinter(issuer: FakeIssuer, scope: string): Minter {
  const key = issuer.signingKey
  const privateKey = KeyObject.from(key.privateKey)
  // ES256 signatures are the raw r‖s pair in a JWS (RFC 7518 §3.4), not DER.
  const options = key.alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : { key: privateKey }
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const header = encode({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
  const prefix = randomUUID()
  let counter = 0
  const input = (): string => {
    const iat = Math.floor(Date.now() / 1000)
    const claims = { iss: issuer.url, sub: 'user-1', aud: issuer.audience, client_id: 'bench', iat, exp: iat + LIFETIME, jti: `${prefix}-${counter++}`, scope }
    return `${header}.${encode(claims)}`
  }
  const mint = (): string => {
    const data = input()
    return `${data}.${sign('sha256', Buffer.from(data), options).toString('base64url')}`
  }
  const async = (): Promise<string> => {
    const data = input()
    return new Promise((resolve, reject) =>
      sign('sha256', Buffer.from(data), options, (error, signature) => (error ? reject(error) : resolve(`${data}.${signature.toString('base64url')}`))))
  }
  return Object.assign(mint, { async })
}

/**
 * The distinct-token pool: as asked, or twice the entries of scopeguard's default
 * verified-token cache (read from the library), so each token comes back only after it has
 * been evicted and every request verifies a signature.
 */
export function poolSizeFor(requested: number | undefined): number {
  const { options } = createAuthenticator({ issuer: 'https://issuer.example/', audience: AUDIENCE, secret: 'x'.repeat(32) })
  return requested ?? Math.max(10_000, 2 * (options.tokenCache?.maxEntries ?? 0))
}

/** Cycles through `pool`, one token per call. */
export function rotate<T>(pool: readonly T[]): () => T {
  let next = 0
  return () => {
    const token = pool[next] as T
    next = next + 1 === pool.length ? 0 : next + 1
    return token
  }
}
