import { createAuthenticator } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import type { BenchAlgorithm } from './settings.js'
import { createMinter, mintPool, type Minter } from './tokens.js'

/** The API every server protects. */
export const AUDIENCE = 'https://api.example.com/bench'
/** The scope the protected route requires. */
export const REQUIRED_SCOPE = 'read:bench'
/** What valid tokens grant: the required scope among others, so the check has to search. */
export const GRANTED_SCOPE = 'openid profile read:bench write:bench'
/** Tokens outlive the longest run (a million-token memory flood included). */
const TOKEN_LIFETIME = 4 * 60 * 60

/** One fake issuer and the tokens the run sends. */
export interface IssuerFixture {
  readonly algorithm: BenchAlgorithm
  readonly issuer: FakeIssuer
  /** Mints a fresh, distinct, valid token. */
  readonly mint: Minter
  /** The token of the reused-token case. */
  readonly reused: string
  /** Distinct valid tokens, cycled through in the distinct-tokens case. */
  readonly pool: readonly string[]
  /** A valid token without the required scope: every variant must answer it 403. */
  readonly withoutScope: string
}

/** Starts a fake issuer on 127.0.0.1 for `algorithm` and mints `poolSize` distinct tokens. */
export async function createIssuerFixture(algorithm: BenchAlgorithm, poolSize: number): Promise<IssuerFixture> {
  const issuer = await createFakeIssuer({ algorithm, audience: AUDIENCE })
  const mint = createMinter(issuer, { scope: GRANTED_SCOPE, expiresIn: TOKEN_LIFETIME })
  const withoutScope = createMinter(issuer, { scope: 'openid profile write:bench', expiresIn: TOKEN_LIFETIME })()
  return { algorithm, issuer, mint, reused: mint(), pool: await mintPool(mint, poolSize), withoutScope }
}

/**
 * Entries of scopeguard's verified-token cache as configured by default (0 when it has none),
 * read from the library itself so the distinct-token pool outgrows it whatever the default.
 */
export function defaultTokenCacheEntries(): number {
  const { options } = createAuthenticator({ issuer: 'https://issuer.example/', audience: AUDIENCE, secret: 'x'.repeat(32) })
  return options.tokenCache?.maxEntries ?? 0
}

/**
 * The distinct-token pool size: as asked, or twice the default cache. A cycled pool larger
 * than an LRU cache misses on every request (each token returns only after `size − 1` others
 * have pushed it out); twice as large keeps that true when 50 connections reorder requests.
 */
export function poolSizeFor(requested: number | undefined, cacheEntries: number): number {
  return requested ?? Math.max(10_000, 2 * cacheEntries)
}
