// The verification micro-benchmark (tinybench): scopeguard's verify path without HTTP, against
// jose.jwtVerify with the same checks (the floor) and crypto.verify alone (the limit).
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto'
import { createAuthenticator } from '@scopeguard/core'
import { importJWK, jwtVerify } from 'jose'
import { Bench } from 'tinybench'
import { AUDIENCE, rotate, type IssuerFixture } from './fixtures.js'
import { markdownTable, median, pairedRatio } from './results.js'

/** One task's operations per second in each round. */
export interface MicroCell {
  readonly algorithm: string
  readonly task: string
  readonly samples: number[]
}

const FLOOR = 'jose.jwtVerify (floor)'

async function tasks(fixture: IssuerFixture): Promise<[string, () => unknown][]> {
  const { algorithm } = fixture
  const issuer = fixture.issuer.url
  const publicJwk = fixture.issuer.signingKey.publicJwk
  // As an adapter calls it, with local keys: no network.
  const options = { issuer, audience: AUDIENCE, keys: publicJwk, algorithms: [algorithm] }
  const cached = createAuthenticator(options)
  const uncached = createAuthenticator({ ...options, tokenCache: false })
  const one = { authorization: `Bearer ${fixture.reused}` }
  const requests = fixture.pool.map((token) => ({ authorization: `Bearer ${token}` }))
  const request = rotate(requests)
  const key = await importJWK(publicJwk, algorithm)
  const joseOptions = { issuer, audience: AUDIENCE, algorithms: [algorithm], clockTolerance: 5, requiredClaims: ['exp'] }
  const tokens = rotate(fixture.pool)
  const publicKey = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' })
  const verifyKey = algorithm === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : { key: publicKey }
  const split = fixture.pool.map((token) => {
    const end = token.lastIndexOf('.')
    return { data: Buffer.from(token.slice(0, end)), signature: Buffer.from(token.slice(end + 1), 'base64url') }
  })
  let next = 0
  return [
    ['scopeguard, one token (cache hit)', () => cached.authenticate(one)],
    ['scopeguard, distinct tokens (default cache, all misses)', () => cached.authenticate(request())],
    ['scopeguard, tokenCache: false', () => uncached.authenticate(request())],
    [FLOOR, () => jwtVerify(tokens(), key, joseOptions)],
    ['crypto.verify alone (limit)', () => {
      const { data, signature } = split[next++ % split.length] as (typeof split)[number]
      if (!verify('sha256', data, verifyKey, signature)) throw new Error('signature did not verify')
    }],
  ]
}

/**
 * Each round is one tinybench run of every task in turn (`time` ms each, after its warm-up),
 * so a burst of other work on a shared machine lands on one round, not on one task's figure.
 */
export async function runMicro(fixtures: readonly IssuerFixture[], rounds: number, time: number, log: (line: string) => void): Promise<MicroCell[]> {
  const cells: MicroCell[] = []
  for (const fixture of fixtures) {
    const list = await tasks(fixture)
    for (const [, fn] of list) await fn() // every task must succeed before its speed means anything
    const mine = list.map(([task]) => ({ algorithm: fixture.algorithm, task, samples: [] as number[] }))
    cells.push(...mine)
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({ time, warmupTime: Math.min(time, 100), throws: true })
      for (const [name, fn] of round % 2 === 0 ? list : [...list].reverse()) bench.add(name, fn)
      await bench.run()
      for (const cell of mine) {
        const result = bench.getTask(cell.task)?.result
        if (result?.state !== 'completed') throw new Error(`${cell.task}: ${result?.state}`)
        cell.samples.push(1000 / result.period)
      }
      log(`  round ${round + 1}/${rounds} ${fixture.algorithm}: ${mine.map((cell) => `${(1e6 / (cell.samples.at(-1) as number)).toFixed(1)} µs`).join(', ')}`)
    }
  }
  return cells
}

export function microTable(cells: readonly MicroCell[]): string {
  return markdownTable(['verification, no HTTP', 'µs/op (median)', 'ops/s ÷ jose (range)'], cells.map((cell) => {
    const floor = cells.find((other) => other.algorithm === cell.algorithm && other.task === FLOOR) as MicroCell
    const ratio = pairedRatio(cell.samples, floor.samples)
    return [`${cell.algorithm}: ${cell.task}`, (1e6 / median(cell.samples)).toFixed(1), `${ratio.median.toFixed(2)} (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`]
  }))
}
