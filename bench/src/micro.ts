import type { JWK } from 'jose'
import { startChild } from './child.js'
import type { CpuPlan } from './cpu.js'
import type { BenchAlgorithm } from './settings.js'
import type { TokenMode } from './variants.js'

/**
 * What is measured: our whole path as configured by default (verified-token cache on), the
 * same with `tokenCache: false`, jose alone (the floor), the signature alone (the limit).
 */
export type MicroSubject = 'scopeguard' | 'scopeguard-uncached' | 'jose' | 'crypto'

export const MICRO_SUBJECTS: readonly MicroSubject[] = ['scopeguard', 'scopeguard-uncached', 'jose', 'crypto']

/** The keys and tokens of one algorithm, sent to the microbenchmark process. */
export interface MicroSuite {
  readonly algorithm: BenchAlgorithm
  readonly issuer: string
  readonly audience: string
  /** The issuer's public key; no network is involved. */
  readonly publicJwk: JWK
  /** `tokens[0]` is the reused token; all of them form the distinct pool. */
  readonly tokens: readonly string[]
}

/** Input of the microbenchmark process. */
export interface MicroInput {
  readonly suites: readonly MicroSuite[]
  readonly rounds: number
  /** Seconds each case runs per round (in short slices, interleaved with the other cases). */
  readonly seconds: number
  /** Unmeasured seconds per case before the first round. */
  readonly warmup: number
}

/** Every sample of one (algorithm, token mode, subject). */
export interface MicroCell {
  readonly algorithm: BenchAlgorithm
  readonly mode: TokenMode
  readonly subject: MicroSubject
  /** Operations per second, one per round. */
  readonly samples: number[]
  readonly opsPerSecond: number
}

/**
 * Runs the microbenchmark in its own process, pinned like the servers: one CPU, so jose's
 * WebCrypto calls cannot borrow a second core through the libuv pool, and the figures
 * compare with what a pinned server has to spend per request.
 */
export async function runMicroBench(input: MicroInput, cpus: CpuPlan): Promise<MicroCell[]> {
  const child = await startChild('./micro-child.ts', { cpus })
  try {
    const reply = await child.request({ type: 'micro', input })
    return reply.output as MicroCell[]
  } finally {
    await child.stop()
  }
}
