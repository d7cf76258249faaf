// Differential oracle: scopeguard's verifier against jose's jwtVerify on the same tokens, keys
// and equivalent options. Any disagreement fails (accept vs reject; on accept, the same header
// and claims), except the documented strictness of strictness.ts, where scopeguard must refuse
// whatever jose says. Each strictness entry has its own witness in strictness.test.ts.
//
// scopeguard is reached only through its public entry (createAuthenticator, authenticate), with
// local keys or a secret, so no network is involved. Both sides read the time from Date.now(),
// frozen per run at NOW_S plus 0-999 ms: scopeguard checks exp/nbf/iat against Date.now() (its
// `clock` option only drives key and verified-token caching, so it is given Date.now() too), and
// jose gets the same instant as currentDate.
//
// Runs are deterministic by default: a fixed seed and 100 runs per property. To search longer
// or elsewhere:
//
//   FC_NUM_RUNS=2000 pnpm vitest run test/oracle
//   FC_SEED=1234 FC_NUM_RUNS=2000 pnpm vitest run test/oracle/verifier-oracle.test.ts
//
// A failure prints fast-check's seed and path; replay it exactly with FC_SEED=<seed> FC_PATH=<path>.
// ORACLE_STATS=1 prints how often each outcome came up.

import { DEFAULT_ALGORITHMS, HMAC_ALGORITHMS } from '@scopeguard/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { craftToken, tweaks } from './crafts.js'
import { ALL_ALGS, ASYMMETRIC_ALGS, createKeyPool, HMAC_ALGS, isHmac, rawSign, type Alg, type KeyName, type KeyPool } from './keys.js'
import { mutations } from './mutations.js'
import { compare, judge, newTally, type Tally } from './oracle.js'
import { materialize, NOW_S, scenario, signJwt, signingKey, type Scenario } from './scenarios.js'
import { b64 } from './tokens.js'
import { joseVerdict, KEY_FORMS, kidOf, presentToken, scopeguardAuthenticator, scopeguardVerdict, type OracleConfig } from './verifiers.js'

const SEED = Number(process.env.FC_SEED ?? 20_260_606)
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 100)
const PATH = process.env.FC_PATH
const RUN = { seed: SEED, numRuns: NUM_RUNS, ...(PATH === undefined ? {} : { path: PATH }) }
// About 5-20 ms a run on an idle machine (a signature, two verifications); far more on a busy CI box.
const TIMEOUT = Math.max(30_000, NUM_RUNS * 150)
// With fewer runs than this, a property may legitimately never see an acceptance.
const CHECK_COVERAGE = NUM_RUNS >= 100 && PATH === undefined

let pool: KeyPool
let frozenMs = NOW_S * 1000

beforeAll(async () => {
  pool = await createKeyPool()
  vi.spyOn(Date, 'now').mockImplementation(() => frozenMs)
}, 60_000)
afterAll(() => {
  vi.restoreAllMocks()
})

function report(name: string, tally: Tally, { accepts = true } = {}): void {
  if (process.env.ORACLE_STATS) console.log(`${name}: ${JSON.stringify(tally)}`)
  if (!CHECK_COVERAGE) return
  // Not vacuous: some tokens passed both verifiers (where valid tokens are common) and some failed both.
  if (accepts) expect(tally.bothAccept, `${name}: runs both accepted`).toBeGreaterThan(0)
  expect(tally.bothReject, `${name}: runs both rejected`).toBeGreaterThan(0)
}

const claimsAt = (nowS: number): Record<string, unknown> => ({
  iss: 'https://issuer.example',
  aud: 'https://api.example.com',
  sub: 'user-1',
  client_id: 'client-7',
  jti: 'a1',
  scope: 'read write',
  iat: nowS - 10,
  exp: nowS + 600,
})

describe('oracle set-up', () => {
  it('covers exactly the algorithms scopeguard accepts by default', () => {
    expect([...DEFAULT_ALGORITHMS]).toEqual([...ASYMMETRIC_ALGS])
    expect([...HMAC_ALGORITHMS]).toEqual([...HMAC_ALGS])
  })

  it.each(ALL_ALGS)('%s: a valid token (SignJWT and node:crypto signed) passes both verifiers with every key form', async (alg: Alg) => {
    frozenMs = NOW_S * 1000 + 250
    const claims = claimsAt(NOW_S)
    const configs: OracleConfig[] = isHmac(alg)
      ? [
          { source: { kind: 'secret', secret: alg, form: 'string' }, issuer: 'https://issuer.example', audience: 'https://api.example.com' },
          { source: { kind: 'secret', secret: alg, form: 'bytes' }, issuer: 'https://issuer.example', audience: 'https://api.example.com', strictRfc9068: true },
        ]
      : KEY_FORMS.map((form) => ({
          source: { kind: 'keys', keys: [{ key: alg as KeyName, form }], single: form === 'pem' },
          issuer: 'https://issuer.example',
          audience: ['https://api.example.com'],
          strictRfc9068: form === 'jwk+kid+alg',
        }))
    const signer = isHmac(alg) ? ({ kind: 'secret', bytes: pool.secrets[alg].bytes } as const) : ({ kind: 'key', name: alg as KeyName } as const)
    const header = { alg, typ: 'at+jwt', ...(isHmac(alg) ? {} : { kid: kidOf(alg as KeyName) }) }
    const viaJose = await signJwt(pool, alg, signer, header, claims)
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`
    const viaNode = `${input}.${b64(rawSign(alg, signingKey(pool, signer), input))}`
    for (const config of configs) {
      for (const token of [viaJose, viaNode]) {
        const authenticator = scopeguardAuthenticator(pool, config)
        if (authenticator instanceof TypeError) throw authenticator
        const [mine, theirs] = [await presentToken(authenticator, token), await joseVerdict(pool, config, token, frozenMs)]
        expect(mine, JSON.stringify(config.source)).toMatchObject({ ok: true, claims })
        expect(theirs, JSON.stringify(config.source)).toMatchObject({ ok: true, claims })
        expect(judge(token, config, frozenMs, mine, theirs)).toBe('both-accept')
      }
    }
  })

  it('the comparison fails on a disagreement, and on a strictness entry scopeguard does not honour', () => {
    const config: OracleConfig = { source: { kind: 'secret', secret: 'HS256', form: 'string' }, issuer: 'https://issuer.example', audience: 'https://api.example.com' }
    const token = `${b64('{"alg":"HS256"}')}.${b64('{}')}.${b64('sig')}`
    const accepted = { ok: true as const, header: { alg: 'HS256' }, claims: {} }
    const rejected = { ok: false as const, reason: 'x' }
    expect(() => judge(token, config, 0, accepted, rejected)).toThrow(/disagreement/)
    expect(() => judge(token, config, 0, rejected, accepted)).toThrow(/disagreement/)
    expect(() => judge(token, config, 0, accepted, { ...accepted, claims: { a: 1 } })).toThrow(/different results/)
    expect(() => judge(`${token}=`, config, 0, accepted, accepted)).toThrow(/non-canonical-base64url/)
    expect(judge(`${token}=`, config, 0, rejected, accepted)).toBe('strictness')
  })
})

// Found by the oracle: AuthOptions.keys documents a KeyObject, but a public KeyObject made
// createAuthenticator throw (key-source.ts passed it to createPublicKey, which takes only a
// private KeyObject). Fixed in the core (87b9e93); kept as the minimal regression test.
describe('found by the oracle', () => {
  it('keys: a public KeyObject verifies like the same key as a PEM', async () => {
    frozenMs = NOW_S * 1000
    const token = await signJwt(pool, 'ES256', { kind: 'key', name: 'ES256' }, { alg: 'ES256', typ: 'at+jwt' }, claimsAt(NOW_S))
    const config = (form: 'pem' | 'keyobject' | 'private-keyobject'): OracleConfig =>
      ({ source: { kind: 'keys', keys: [{ key: 'ES256', form }], single: true }, issuer: 'https://issuer.example', audience: 'https://api.example.com' })
    expect(await scopeguardVerdict(pool, config('pem'), token)).toMatchObject({ ok: true })
    expect(await scopeguardVerdict(pool, config('private-keyobject'), token)).toMatchObject({ ok: true })
    expect(await scopeguardVerdict(pool, config('keyobject'), token)).toMatchObject({ ok: true })
  })
})

describe('properties: scopeguard agrees with jose', () => {
  async function signed(s: Scenario): Promise<{ token: string; config: OracleConfig; nowMs: number }> {
    const m = materialize(pool, s)
    return { token: await signJwt(pool, s.alg, m.signer, m.header, m.claims), config: m.config, nowMs: m.nowMs }
  }

  it('signed tokens: every algorithm, claims around the clock boundaries, options and key configurations', async () => {
    const tally = newTally()
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { token, config, nowMs } = await signed(s)
        frozenMs = nowMs
        await compare(pool, config, token, nowMs, tally)
      }),
      RUN,
    )
    report('signed', tally)
  }, TIMEOUT)

  it('mutated tokens: bit flips per segment, character edits, truncation, swapped segments, respellings', async () => {
    const tally = newTally()
    await fc.assert(
      fc.asyncProperty(scenario, mutations, async (s, changes) => {
        const { token, config, nowMs } = await signed(s)
        frozenMs = nowMs
        await compare(pool, config, changes.reduce((current, change) => change(current), token), nowMs, tally)
      }),
      RUN,
    )
    // A mutation rarely leaves a token valid: only rejections are sure to come up.
    report('mutated', tally, { accepts: false })
  }, TIMEOUT)

  it('re-signed crafted tokens: raw JSON, header changes, alg swaps and none, non-canonical segments, odd signatures', async () => {
    const tally = newTally()
    await fc.assert(
      fc.asyncProperty(scenario, tweaks, async (s, changes) => {
        const m = materialize(pool, s)
        frozenMs = m.nowMs
        await compare(pool, m.config, craftToken(pool, m, s.alg, changes), m.nowMs, tally)
      }),
      RUN,
    )
    report('crafted', tally)
  }, TIMEOUT)

  it('with the verified-token cache on, a token presented again and again as time passes gets jose\'s verdict each time', async () => {
    const tally = newTally()
    let cacheHits = 0
    const timeline = fc.record({
      base: scenario,
      exp: fc.integer({ min: -1, max: 4 }),
      fraction: fc.constantFrom(0, 0, 0.5),
      iat: fc.integer({ min: -4, max: 1 }),
      clockTolerance: fc.constantFrom(0, 1, 2, 5),
      maxTokenAge: fc.option(fc.constantFrom(1, 2, 3, 5), { nil: undefined }),
      steps: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2500 })), { minLength: 3, maxLength: 7 }),
    })
    await fc.assert(
      fc.asyncProperty(timeline, async (plan) => {
        const s: Scenario = {
          ...plan.base,
          options: { ...plan.base.options, clockTolerance: plan.clockTolerance, maxTokenAge: plan.maxTokenAge },
          claims: {
            ...plan.base.claims,
            exp: { kind: 'near', anchor: 'now', offset: plan.exp, fraction: plan.fraction },
            iat: { kind: 'near', anchor: 'now', offset: plan.iat, fraction: 0 },
            nbf: { kind: 'absent' },
          },
        }
        const m = materialize(pool, s)
        const config: OracleConfig = { ...m.config, tokenCache: true }
        const token = await signJwt(pool, s.alg, m.signer, m.header, m.claims)
        const authenticator = scopeguardAuthenticator(pool, config)
        if (authenticator instanceof TypeError) throw authenticator
        let nowMs = m.nowMs
        for (const step of plan.steps) {
          nowMs += step
          frozenMs = nowMs
          if (authenticator.cachedResult(`Bearer ${token}`) !== undefined) cacheHits++
          judge(token, config, nowMs, await presentToken(authenticator, token), await joseVerdict(pool, config, token, nowMs), tally)
        }
      }),
      RUN,
    )
    report('cached', tally)
    if (CHECK_COVERAGE) expect(cacheHits, 'presentations answered from the cache').toBeGreaterThan(0)
  }, TIMEOUT)

  it('with the verified-token cache on, variants of a cached token (mostly the same signature) get jose\'s verdict', async () => {
    const tally = newTally()
    await fc.assert(
      fc.asyncProperty(scenario, mutations, async (s, changes) => {
        const m = materialize(pool, s)
        const config: OracleConfig = { ...m.config, tokenCache: true }
        const token = await signJwt(pool, s.alg, m.signer, m.header, m.claims)
        const variant = changes.reduce((current, change) => change(current), token)
        const authenticator = scopeguardAuthenticator(pool, config)
        if (authenticator instanceof TypeError) throw authenticator
        frozenMs = m.nowMs
        // The second use admits the token to the cache; the variants come after it.
        for (const presented of [token, token, token, variant, token, variant]) {
          judge(presented, config, m.nowMs, await presentToken(authenticator, presented), await joseVerdict(pool, config, presented, m.nowMs), tally)
        }
      }),
      RUN,
    )
    report('cached variants', tally)
  }, TIMEOUT)
})
