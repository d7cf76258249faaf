// The BENCH_* variables, read once. README.md lists them.
export type BenchAlgorithm = 'RS256' | 'ES256'

const ALGORITHMS: readonly BenchAlgorithm[] = ['RS256', 'ES256']

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}; got ${JSON.stringify(raw)}`)
  return value
}

export function list(raw: string | undefined): string[] | undefined {
  const items = (raw ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '')
  return items.length === 0 ? undefined : items
}

/** `BENCH_QUICK=1` changes the defaults to a smoke-sized run (a few minutes); explicit variables still win. */
export function readSettings(env: NodeJS.ProcessEnv = process.env) {
  const quick = env.BENCH_QUICK === '1'
  const algorithms = list(env.BENCH_ALGORITHMS) ?? (quick ? ['ES256'] : [...ALGORITHMS])
  for (const name of algorithms) {
    if (!(ALGORITHMS as readonly string[]).includes(name)) throw new Error(`BENCH_ALGORITHMS: ${name} is not one of ${ALGORITHMS.join(', ')}`)
  }
  return {
    duration: number(env, 'BENCH_DURATION', quick ? 1 : 3, 0.5),
    rounds: Math.round(number(env, 'BENCH_ROUNDS', quick ? 2 : 5, 1)),
    connections: Math.round(number(env, 'BENCH_CONNECTIONS', 50, 1)),
    algorithms: algorithms as BenchAlgorithm[],
    /** `undefined`: every variant but the pass-through servers. */
    variants: list(env.BENCH_VARIANTS),
    warmup: number(env, 'BENCH_WARMUP', quick ? 0.5 : 2, 0),
    /** Unmeasured load before every sample: a server idle since its last turn pages its heap back in. */
    leadIn: number(env, 'BENCH_LEAD_IN', quick ? 0.2 : 1, 0),
    microTime: number(env, 'BENCH_MICRO_MS', quick ? 100 : 500, 10),
    memoryTokens: Math.round(number(env, 'BENCH_MEMORY_TOKENS', quick ? 2000 : 100_000, 100)),
    /** Distinct tokens cycled in the `distinct` mode; `undefined`: twice scopeguard's default token cache. */
    poolSize: env.BENCH_POOL ? Math.round(number(env, 'BENCH_POOL', 0, 1)) : undefined,
  }
}

export type BenchSettings = ReturnType<typeof readSettings>

/** The integer variable `name` (≥ 1), or `fallback` when unset; anything else throws, naming it. */
export function positiveInteger(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${env[name]}"`)
  return value
}
