import type { SigningAlgorithm } from '@scopeguard/testing'

/** Algorithms the HTTP and micro benchmarks cover. */
export type BenchAlgorithm = Extract<SigningAlgorithm, 'RS256' | 'ES256'>

/** Everything a run is parameterised by; read once from the environment in {@link readSettings}. */
export interface BenchSettings {
  /** `BENCH_QUICK=1`: a smoke-sized run (1 s samples, 1 round, no warm-up, ES256 only, short micro and memory phases). */
  readonly quick: boolean
  /** Length of one HTTP load sample, in seconds. `BENCH_DURATION`, default 3 (quick: 1). */
  readonly duration: number
  /** Rounds of every measurement; medians are taken across them. `BENCH_ROUNDS`, default 3 (quick: 1). */
  readonly rounds: number
  /** Concurrent keep-alive connections of the load generator. `BENCH_CONNECTIONS`, default 50. */
  readonly connections: number
  /**
   * Distinct pre-minted tokens cycled through in the many-tokens case. `BENCH_POOL`; default
   * `undefined`: twice the entries of scopeguard's default verified-token cache, so a token
   * comes round again only after it has been evicted and every request verifies a signature.
   */
  readonly poolSize: number | undefined
  /**
   * Whether each round also loads scopeguard together with every other variant on one CPU
   * (`runConcurrentPair`), the ratios least moved by a noisy machine. `BENCH_CONCURRENT=0`
   * turns it off; on by default (quick: off).
   */
  readonly concurrent: boolean
  /** `BENCH_VARIANTS`: ids of the HTTP variants to run, comma-separated (see `variants.ts`). Default: all. */
  readonly variants: readonly string[] | undefined
  /** `BENCH_ALGORITHMS`, comma-separated. Default `RS256,ES256` (quick: `ES256`, whose tokens mint fastest). */
  readonly algorithms: readonly BenchAlgorithm[]
  /** Length of one microbenchmark sample per case, in seconds. `BENCH_MICRO_SECONDS`, default 1 (quick: 0.2). */
  readonly microSeconds: number
  /** Distinct valid tokens sent to the memory server. `BENCH_MEMORY_TOKENS`, default 100000 (quick: 1000). */
  readonly memoryTokens: number
  /**
   * Unmeasured load on each server before its first sample (and per micro case), in seconds:
   * JWKS fetch, JIT tiering. `BENCH_WARMUP`, default 2 (quick: none).
   */
  readonly warmup: number
  /**
   * Unmeasured load right before every HTTP sample, in seconds, on the same server(s) with the
   * same tokens. A server idle since its last turn has shrunk its young generation and handed
   * pages back; on these VMs faulting them in again is slow, and without this the first part
   * of a sample measured that, unequally between servers with different idle histories.
   * `BENCH_LEAD_IN`, default a third of the sample, at least 0.5 s (quick: none).
   */
  readonly leadIn: number
}

const ALGORITHMS: readonly BenchAlgorithm[] = ['RS256', 'ES256']

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}; got ${JSON.stringify(raw)}`)
  return value
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (raw === '1' || raw === 'true') return true
  if (raw === '0' || raw === 'false') return false
  throw new Error(`${name} must be 1 or 0; got ${JSON.stringify(raw)}`)
}

function list(raw: string | undefined): string[] | undefined {
  const items = (raw ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '')
  return items.length === 0 ? undefined : items
}

/** Reads the `BENCH_*` variables; the bench is an application, so this is the one place that looks at them. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true'
  const algorithms = list(env.BENCH_ALGORITHMS) ?? (quick ? ['ES256'] : [...ALGORITHMS])
  for (const name of algorithms) {
    if (!(ALGORITHMS as readonly string[]).includes(name)) throw new Error(`BENCH_ALGORITHMS: ${name} is not one of ${ALGORITHMS.join(', ')}`)
  }
  const duration = number(env, 'BENCH_DURATION', quick ? 1 : 3, 0.5)
  return {
    quick,
    duration,
    rounds: Math.round(number(env, 'BENCH_ROUNDS', quick ? 1 : 3, 1)),
    connections: Math.round(number(env, 'BENCH_CONNECTIONS', 50, 1)),
    poolSize: env.BENCH_POOL === undefined || env.BENCH_POOL === '' ? undefined : Math.round(number(env, 'BENCH_POOL', 0, 1)),
    algorithms: algorithms as BenchAlgorithm[],
    concurrent: flag(env, 'BENCH_CONCURRENT', !quick),
    variants: list(env.BENCH_VARIANTS),
    microSeconds: number(env, 'BENCH_MICRO_SECONDS', quick ? 0.2 : 1, 0.05),
    memoryTokens: Math.round(number(env, 'BENCH_MEMORY_TOKENS', quick ? 1000 : 100_000, 100)),
    warmup: number(env, 'BENCH_WARMUP', quick ? 0 : 2, 0),
    leadIn: number(env, 'BENCH_LEAD_IN', quick ? 0 : Math.max(0.5, duration / 3), 0),
  }
}
