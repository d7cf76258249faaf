// The microbenchmark process: no HTTP, only token verification, driven by src/micro.ts.
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { createAuthenticator } from '@scopeguard/core'
import { importJWK, jwtVerify, type JWTVerifyOptions } from 'jose'
import { MICRO_SUBJECTS, type MicroCell, type MicroInput, type MicroSubject, type MicroSuite } from './micro.js'
import { answerParent, sendToParent } from './protocol.js'
import { median } from './stats.js'
import { TOKEN_MODES, type TokenMode } from './variants.js'

/** One verification of the token at `index`; resolves or returns when it succeeded. */
type Operation = (index: number) => unknown

interface Case {
  readonly algorithm: MicroSuite['algorithm']
  readonly mode: TokenMode
  readonly subject: MicroSubject
  readonly run: Operation
  readonly count: number
  /**
   * Next token index, kept across warm-up and rounds: restarting at 0 each sample would send
   * tokens the verified-token cache saw in the previous sample.
   */
  cursor: number
}

async function operations(suite: MicroSuite): Promise<Record<MicroSubject, Operation>> {
  const { algorithm, issuer, audience, publicJwk, tokens } = suite

  // Ours, as an adapter calls it, with local keys so no network is involved.
  const authenticator = createAuthenticator({ issuer, audience, keys: publicJwk, algorithms: [algorithm] })
  const uncached = createAuthenticator({ issuer, audience, keys: publicJwk, algorithms: [algorithm], tokenCache: false })
  const requests = tokens.map((token) => ({ authorization: `Bearer ${token}` }))

  // The floor: jose with a key imported once and the same checks we ask of it.
  const key = await importJWK(publicJwk, algorithm)
  const options: JWTVerifyOptions = { issuer, audience, algorithms: [algorithm], clockTolerance: 5, requiredClaims: ['exp'] }

  // The limit: the signature check alone, on input split and decoded in advance.
  const publicKey: KeyObject = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' })
  const verifyKey = algorithm === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : { key: publicKey }
  const split = tokens.map((token) => {
    const end = token.lastIndexOf('.')
    return { data: Buffer.from(token.slice(0, end)), signature: Buffer.from(token.slice(end + 1), 'base64url') }
  })

  return {
    scopeguard: (index) => authenticator.authenticate(requests[index] as (typeof requests)[number]),
    'scopeguard-uncached': (index) => uncached.authenticate(requests[index] as (typeof requests)[number]),
    jose: (index) => jwtVerify(tokens[index] as string, key, options),
    crypto: (index) => {
      const { data, signature } = split[index] as (typeof split)[number]
      if (!verify('sha256', data, verifyKey, signature)) throw new Error('signature did not verify')
    },
  }
}

/** Operations done and time spent by one case in one round. */
interface Tally {
  operations: number
  milliseconds: number
}

/** Milliseconds of one slice; a round gives every case many slices, taking turns. */
const SLICE_MS = 25

/** Calls the case's operation back to back for about `ms`, cycling through its tokens. */
async function runSlice(item: Case, ms: number, tally: Tally): Promise<void> {
  const { run, count } = item
  const start = performance.now()
  const deadline = start + ms
  let index = item.cursor
  let now = start
  do {
    await run(index)
    tally.operations++
    if (++index === count) index = 0
    // Reading the clock costs ~50 ns: noise against a verification, a small share of a cache hit.
    now = performance.now()
  } while (now < deadline)
  tally.milliseconds += now - start
  item.cursor = index
}

/**
 * Gives each case `seconds` of running time, in {@link SLICE_MS} slices taken in turn (odd
 * sweeps in reverse order), and returns operations per second per case. On a shared machine
 * a burst of other work then lands on every case alike instead of on whichever case's whole
 * second it fell in.
 */
async function runRound(cases: readonly Case[], seconds: number): Promise<Map<Case, number>> {
  const tallies = new Map<Case, Tally>(cases.map((item) => [item, { operations: 0, milliseconds: 0 }]))
  const sweeps = Math.max(1, Math.round((seconds * 1000) / SLICE_MS))
  for (let sweep = 0; sweep < sweeps; sweep++) {
    for (const item of sweep % 2 === 0 ? cases : [...cases].reverse()) {
      await runSlice(item, SLICE_MS, tallies.get(item) as Tally)
    }
  }
  return new Map([...tallies].map(([item, tally]) => [item, (tally.operations / tally.milliseconds) * 1000]))
}

async function runMicro(input: MicroInput): Promise<MicroCell[]> {
  const cases: Case[] = []
  for (const suite of input.suites) {
    const ops = await operations(suite)
    for (const subject of MICRO_SUBJECTS) {
      // Every subject must succeed on the tokens before its speed means anything.
      await ops[subject](0)
      await ops[subject](suite.tokens.length - 1)
    }
    for (const mode of TOKEN_MODES) {
      for (const subject of MICRO_SUBJECTS) {
        cases.push({ algorithm: suite.algorithm, mode, subject, run: ops[subject], count: mode === 'reused' ? 1 : suite.tokens.length, cursor: 0 })
      }
    }
  }
  if (input.warmup > 0) await runRound(cases, input.warmup)
  const samples = new Map<Case, number[]>(cases.map((item) => [item, []]))
  for (let round = 0; round < input.rounds; round++) {
    for (const [item, opsPerSecond] of await runRound(cases, input.seconds)) samples.get(item)?.push(opsPerSecond)
  }
  return cases.map((item) => {
    const values = samples.get(item) ?? []
    return { algorithm: item.algorithm, mode: item.mode, subject: item.subject, samples: values, opsPerSecond: median(values) }
  })
}

answerParent((request) => {
  if (request.type !== 'micro') throw new Error(`unexpected request ${request.type}`)
  return runMicro(request.input as MicroInput)
})
sendToParent({ type: 'ready' })
