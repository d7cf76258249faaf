import { setTimeout as sleep } from 'node:timers/promises'
import { startChild, type NodeChild } from './child.js'
import { runConcurrentPair, type PairSample } from './concurrent-pair.js'
import type { CpuPlan } from './cpu.js'
import { AUDIENCE, REQUIRED_SCOPE, type IssuerFixture } from './fixtures.js'
import { runLoad, type LoadSample } from './load.js'
import { ROUTE, SERVER_SETTINGS_ENV, type ServerSettings } from './servers/serve.js'
import type { BenchAlgorithm, BenchSettings } from './settings.js'
import { median, spread } from './stats.js'
import { TOKEN_MODES, VARIANTS, authenticates, type TokenMode, type Variant } from './variants.js'

/** Servers started at once; see `runHttpBench`. */
const STARTING_AT_ONCE = 4

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

/**
 * scopeguard and one other variant of the same framework, loaded together on one CPU in
 * each round (see `runConcurrentPair`); or, as the control, two instances of the bare server,
 * whose ratio would be 1 on a perfect method and shows this one's bias and spread.
 */
export interface PairedCell {
  readonly algorithm: BenchAlgorithm
  readonly mode: TokenMode
  readonly framework: Variant['framework']
  /** Variant id of side a: scopeguard, the pass-through server (against bare), or bare in the control. */
  readonly a: string
  /** Variant id of side b. */
  readonly b: string
  readonly control: boolean
  readonly samples: PairSample[]
  /** Median of the per-round ratios a ÷ b. */
  readonly ratio: number
  /** (max − min) / median of those ratios. */
  readonly spread: number
  /** Median share of the servers' CPU time that side a had (`PairSample.cpuShareA`). */
  readonly cpuShareA: number | undefined
  /** Median CPU share of the load generator. */
  readonly loaderCpu: number
}

/** What {@link runHttpBench} measured: every variant alone, and scopeguard paired with each other one. */
export interface HttpResults {
  readonly cells: HttpCell[]
  readonly pairs: PairedCell[]
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
  /**
   * The second instance of a bare server: paired with the first as the control, and measured
   * in its place in odd rounds (see `instanceFor`).
   */
  readonly control: boolean
}

interface Pair {
  readonly a: RunningServer
  readonly b: RunningServer
  readonly mode: TokenMode
  readonly samples: PairSample[]
}

/**
 * Starts every variant for every algorithm, checks each answers 200 / 401 / 403 as a correctly
 * configured server must, warms each up, then measures them interleaved: each round visits
 * every (algorithm, token mode, variant) once, odd rounds in reverse order, so drift of the
 * machine during the run (other tenants, thermal state) lands on every cell alike. Each round
 * then loads scopeguard together with every other variant of its framework, one pair at a
 * time, and a second bare server together with the first (`settings.concurrent`).
 */
export async function runHttpBench(
  fixtures: readonly IssuerFixture[],
  settings: BenchSettings,
  cpus: CpuPlan,
  log: (line: string) => void,
): Promise<HttpResults> {
  const servers: RunningServer[] = []
  const variants = VARIANTS.filter((variant) => settings.variants?.includes(variant.id) ?? true)
  if (variants.length === 0) throw new Error(`BENCH_VARIANTS names no known variant; known: ${VARIANTS.map((v) => v.id).join(', ')}`)
  try {
    // Started a few at a time: start-up is mostly loading modules, and nothing is measured
    // yet; all of them (over 20) at once on two cores (each compiling its TypeScript through tsx) ran past
    // the 30 s start-up limit on a slow machine.
    const instances = variants.flatMap((variant) =>
      settings.concurrent && variant.role === 'bare' && variants.some((v) => v.framework === variant.framework && v.role === 'ours')
        ? [{ variant, control: false }, { variant, control: true }]
        : [{ variant, control: false }],
    )
    const queue = fixtures.flatMap((fixture) => instances.map((instance) => ({ fixture, ...instance })))
    const startNext = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const { fixture, variant, control } = next
        const serverSettings: ServerSettings = {
          issuer: fixture.issuer.url,
          jwksUri: fixture.issuer.jwksUri,
          audience: AUDIENCE,
          scope: REQUIRED_SCOPE,
          algorithm: fixture.algorithm,
        }
        const child = await startChild(variant.module, { cpus, env: { [SERVER_SETTINGS_ENV]: JSON.stringify(serverSettings) } })
        servers.push({ fixture, variant, child, url: `http://127.0.0.1:${child.port}${ROUTE}`, nextToken: rotate(fixture.pool), control })
      }
    }
    const started = await Promise.allSettled(Array.from({ length: STARTING_AT_ONCE }, startNext))
    const failure = started.find((result) => result.status === 'rejected')
    if (failure !== undefined) throw failure.reason
    servers.sort((a, b) =>
      fixtures.indexOf(a.fixture) - fixtures.indexOf(b.fixture) || VARIANTS.indexOf(a.variant) - VARIANTS.indexOf(b.variant) || Number(a.control) - Number(b.control))
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
      TOKEN_MODES.flatMap((mode) => servers.filter((server) => server.fixture === fixture && !server.control).map((server) => ({ server, mode }))),
    )
    const pairs = settings.concurrent ? planPairs(servers) : []
    // Where a bare server has a second instance, odd rounds measure that one in its place,
    // alone and in pairs, so both instances share the same history. An Express 5 server's
    // speed depends on what it has served before (two instances measured in turn differed by
    // 5–10 % when one of them served most of the samples): alternating puts that difference
    // into the spread and the control, rather than into every ratio against bare.
    const twins = new Map(servers.filter((server) => server.control).map((twin) => [
      servers.find((server) => !server.control && server.fixture === twin.fixture && server.variant === twin.variant) as RunningServer,
      twin,
    ]))
    const instanceFor = (server: RunningServer, round: number): RunningServer => (round % 2 === 1 ? (twins.get(server) ?? server) : server)
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? plan : [...plan].reverse()
      for (const { server: cell, mode } of order) {
        const server = instanceFor(cell, round)
        const token = tokenFor(server, mode)
        if (settings.leadIn > 0) await runLoad({ url: server.url, connections: settings.connections, seconds: settings.leadIn, token })
        const sample = await runLoad({
          url: server.url,
          connections: settings.connections,
          seconds: settings.duration,
          token,
        })
        if (sample.failed > 0) log(`  ! ${server.variant.id} ${server.fixture.algorithm} ${mode}: ${sample.failed} failed requests`)
        const byMode = cells.get(cell) ?? new Map<TokenMode, LoadSample[]>()
        cells.set(cell, byMode)
        byMode.set(mode, [...(byMode.get(mode) ?? []), sample])
        log(
          `  round ${round + 1}/${settings.rounds}  ${server.fixture.algorithm} ${mode.padEnd(8)} ${server.variant.id.padEnd(20)}` +
            ` ${sample.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${sample.p50.toFixed(2)} ms  p99 ${sample.p99.toFixed(2)} ms` +
            `  load generator ${(sample.loaderCpu * 100).toFixed(0)}% CPU`,
        )
        await sleep(100)
      }
      for (const pair of round % 2 === 0 ? pairs : [...pairs].reverse()) {
        // The control compares the two bare instances in both orders; every other pair meets
        // this round's bare instance (see instanceFor).
        const [first, second] = pair.b.control
          ? round % 2 === 0 ? [pair.a, pair.b] : [pair.b, pair.a]
          : [pair.a, instanceFor(pair.b, round)]
        const a = { url: first.url, token: tokenFor(first, pair.mode), pid: first.child.process.pid }
        const b = { url: second.url, token: tokenFor(second, pair.mode), pid: second.child.process.pid }
        if (settings.leadIn > 0) await runConcurrentPair(a, b, settings.connections, settings.leadIn)
        const sample = await runConcurrentPair(a, b, settings.connections, settings.duration)
        pair.samples.push(sample)
        const name = `${pair.a.variant.id} + ${pair.b.variant.id}${pair.b.control ? ' (control)' : ''}`
        if (sample.failed > 0) log(`  ! ${name} ${pair.a.fixture.algorithm} ${pair.mode}: ${sample.failed} failed requests`)
        log(
          `  round ${round + 1}/${settings.rounds}  ${pair.a.fixture.algorithm} ${pair.mode.padEnd(8)} together: ${name.padEnd(44)}` +
            ` ${sample.a.toFixed(0).padStart(6)} / ${sample.b.toFixed(0).padStart(6)} req/s = ${sample.ratio.toFixed(3)}` +
            `${sample.cpuShareA === undefined ? '' : ` (a had ${(sample.cpuShareA * 100).toFixed(1)}% of the CPU)`}` +
            `  load generator ${(sample.loaderCpu * 100).toFixed(0)}% CPU`,
        )
        await sleep(100)
      }
    }

    const measured = plan.map(({ server, mode }): HttpCell => {
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
    return {
      cells: measured,
      pairs: pairs.map(({ a, b, mode, samples }) => ({
        algorithm: a.fixture.algorithm,
        mode,
        framework: a.variant.framework,
        a: a.variant.id,
        b: b.variant.id,
        control: b.control,
        samples,
        ratio: median(samples.map((sample) => sample.ratio)),
        spread: spread(samples.map((sample) => sample.ratio)),
        cpuShareA: medianOfMeasured(samples.map((sample) => sample.cpuShareA)),
        loaderCpu: median(samples.map((sample) => sample.loaderCpu)),
      })),
    }
  } finally {
    await Promise.all(servers.map((server) => server.child.stop()))
  }
}

/**
 * The concurrent pairs of a round: per algorithm, token mode and framework, each form of
 * scopeguard with each other variant, the pass-through server with bare, then the bare server
 * with its second instance (the control).
 */
function planPairs(servers: readonly RunningServer[]): Pair[] {
  const pairs: Pair[] = []
  const groups = new Map<string, RunningServer[]>()
  for (const server of servers) {
    const key = `${server.fixture.algorithm} ${server.variant.framework}`
    groups.set(key, [...(groups.get(key) ?? []), server])
  }
  for (const mode of TOKEN_MODES) {
    for (const group of groups.values()) {
      for (const ours of group.filter((server) => server.variant.role === 'ours')) {
        for (const other of group) {
          if (other.variant.role !== 'ours' && !other.control) pairs.push({ a: ours, b: other, mode, samples: [] })
        }
      }
      const bare = group.filter((server) => server.variant.role === 'bare')
      // What the framework charges for middlewares mounted where scopeguard's are.
      const passthrough = group.find((server) => server.variant.role === 'passthrough')
      if (passthrough !== undefined && bare[0] !== undefined) pairs.push({ a: passthrough, b: bare[0], mode, samples: [] })
      if (bare.length === 2) pairs.push({ a: bare[0] as RunningServer, b: bare[1] as RunningServer, mode, samples: [] })
    }
  }
  return pairs
}

/** What a server is sent in `mode`: the fixture's one token, or its own walk through the pool. */
function tokenFor(server: RunningServer, mode: TokenMode): string | (() => string) {
  return mode === 'reused' ? server.fixture.reused : server.nextToken
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
  if (!authenticates(variant)) return
  await expect(undefined, 401, 'no token')
  await expect(fixture.withoutScope, 403, 'a token without the required scope')
}

/** The median of the values that were measured; `undefined` when none was. */
function medianOfMeasured(values: readonly (number | undefined)[]): number | undefined {
  const measured = values.filter((value) => value !== undefined)
  return measured.length === 0 ? undefined : median(measured)
}
