import { setTimeout as sleep } from 'node:timers/promises'
import { startChild, type NodeChild } from './child.js'
import type { CpuPlan } from './cpu.js'
import { AUDIENCE, REQUIRED_SCOPE, type IssuerFixture } from './fixtures.js'
import { runLoad, type LoadSample } from './load.js'
import { ROUTE, SERVER_SETTINGS_ENV, type ServerSettings } from './servers/serve.js'
import type { BenchAlgorithm, BenchSettings } from './settings.js'
import { median, spread } from './stats.js'
import { TOKEN_MODES, VARIANTS, type TokenMode, type Variant } from './variants.js'

/** All samples of one server variant, for one algorithm and token mode. */
export interface HttpCell {
  readonly algorithm: BenchAlgorithm
  readonly mode: TokenMode
  readonly variant: string
  readonly samples: LoadSample[]
  /** Medians across rounds. */
  readonly requestsPerSecond: number
  readonly p50: number
  readonly p99: number
  /** (max − min) / median of the throughput samples. */
  readonly spread: number
  /** Median CPU share of the load generator; at `LOADER_BOUND` or above, the cell measured autocannon. */
  readonly loaderCpu: number
}

interface RunningServer {
  readonly fixture: IssuerFixture
  readonly variant: Variant
  readonly child: NodeChild
  readonly url: string
  /**
   * This server's walk through the distinct-token pool, kept across warm-up and samples:
   * restarting at the first token each sample would resend tokens a verified-token cache
   * saw in the previous one. Each server walks on its own, so it sees every other pool token
   * before one comes round again.
   */
  readonly nextToken: () => string
}

/**
 * Starts every variant for every algorithm, checks each answers 200 / 401 / 403 as a correctly
 * configured server must, warms each up, then measures them interleaved: each round visits
 * every (algorithm, token mode, variant) once, odd rounds in reverse order, so drift of the
 * machine during the run (other tenants, thermal state) lands on every cell alike.
 */
export async function runHttpBench(
  fixtures: readonly IssuerFixture[],
  settings: BenchSettings,
  cpus: CpuPlan,
  log: (line: string) => void,
): Promise<HttpCell[]> {
  const servers: RunningServer[] = []
  const variants = VARIANTS.filter((variant) => settings.variants?.includes(variant.id) ?? true)
  if (variants.length === 0) throw new Error(`BENCH_VARIANTS names no known variant; known: ${VARIANTS.map((v) => v.id).join(', ')}`)
  try {
    // Started together: start-up is mostly loading modules, and nothing is measured yet.
    const starting = fixtures.flatMap((fixture) =>
      variants.map(async (variant) => {
        const serverSettings: ServerSettings = {
          issuer: fixture.issuer.url,
          jwksUri: fixture.issuer.jwksUri,
          audience: AUDIENCE,
          scope: REQUIRED_SCOPE,
          algorithm: fixture.algorithm,
        }
        const child = await startChild(variant.module, { cpus, env: { [SERVER_SETTINGS_ENV]: JSON.stringify(serverSettings) } })
        servers.push({ fixture, variant, child, url: `http://127.0.0.1:${child.port}${ROUTE}`, nextToken: rotate(fixture.pool) })
      }),
    )
    const started = await Promise.allSettled(starting)
    const failure = started.find((result) => result.status === 'rejected')
    if (failure !== undefined) throw failure.reason
    servers.sort((a, b) => fixtures.indexOf(a.fixture) - fixtures.indexOf(b.fixture) || VARIANTS.indexOf(a.variant) - VARIANTS.indexOf(b.variant))
    for (const server of servers) await checkServer(server)
    log(`  ${servers.length} servers started and answer correctly; warming up ${settings.warmup} s each`)
    if (settings.warmup > 0) {
      for (const server of servers) {
        await runLoad({ url: server.url, connections: settings.connections, seconds: settings.warmup, token: server.nextToken })
      }
    }

    const cells = new Map<RunningServer, Map<TokenMode, LoadSample[]>>()
    // By algorithm, then token mode, then variant, so a round reads like the results table.
    const plan = fixtures.flatMap((fixture) =>
      TOKEN_MODES.flatMap((mode) => servers.filter((server) => server.fixture === fixture).map((server) => ({ server, mode }))),
    )
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? plan : [...plan].reverse()
      for (const { server, mode } of order) {
        const sample = await runLoad({
          url: server.url,
          connections: settings.connections,
          seconds: settings.duration,
          token: mode === 'reused' ? server.fixture.reused : server.nextToken,
        })
        if (sample.failed > 0) log(`  ! ${server.variant.id} ${server.fixture.algorithm} ${mode}: ${sample.failed} failed requests`)
        const byMode = cells.get(server) ?? new Map<TokenMode, LoadSample[]>()
        cells.set(server, byMode)
        byMode.set(mode, [...(byMode.get(mode) ?? []), sample])
        log(
          `  round ${round + 1}/${settings.rounds}  ${server.fixture.algorithm} ${mode.padEnd(8)} ${server.variant.id.padEnd(20)}` +
            ` ${sample.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${sample.p50.toFixed(2)} ms  p99 ${sample.p99.toFixed(2)} ms` +
            `  load generator ${(sample.loaderCpu * 100).toFixed(0)}% CPU`,
        )
        await sleep(100)
      }
    }

    return plan.map(({ server, mode }) => {
      const samples = cells.get(server)?.get(mode) ?? []
      const rps = samples.map((sample) => sample.requestsPerSecond)
      return {
        algorithm: server.fixture.algorithm,
        mode,
        variant: server.variant.id,
        samples,
        requestsPerSecond: median(rps),
        p50: median(samples.map((sample) => sample.p50)),
        p99: median(samples.map((sample) => sample.p99)),
        spread: spread(rps),
        loaderCpu: median(samples.map((sample) => sample.loaderCpu)),
      }
    })
  } finally {
    await Promise.all(servers.map((server) => server.child.stop()))
  }
}

/** Cycles through `pool`, one token per call. */
export function rotate(pool: readonly string[]): () => string {
  let next = 0
  return () => {
    const token = pool[next] as string
    next = next + 1 === pool.length ? 0 : next + 1
    return token
  }
}

/**
 * A benchmark of a misconfigured server measures nothing: every variant must accept a valid
 * token, and each authenticating one must refuse a missing token (401) and a token without
 * the required scope (403), proving that its scope check is on the measured path.
 */
async function checkServer({ fixture, variant, url }: RunningServer): Promise<void> {
  const expect = async (token: string | undefined, status: number, what: string): Promise<void> => {
    const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    await response.arrayBuffer()
    if (response.status !== status) {
      throw new Error(`${variant.id} (${fixture.algorithm}): ${what} answered ${response.status}, expected ${status}`)
    }
  }
  await expect(fixture.reused, 200, 'a valid token')
  if (variant.role === 'bare') return
  await expect(undefined, 401, 'no token')
  await expect(fixture.withoutScope, 403, 'a token without the required scope')
}
