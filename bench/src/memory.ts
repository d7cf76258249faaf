import { startChild } from './child.js'
import type { CpuPlan } from './cpu.js'
import { AUDIENCE, REQUIRED_SCOPE, type IssuerFixture } from './fixtures.js'
import { runLoad } from './load.js'
import { ROUTE, SERVER_SETTINGS_ENV, type ServerSettings } from './servers/serve.js'

/** Memory of the server after a number of distinct tokens, in bytes. */
export interface MemoryCheckpoint {
  /** Distinct tokens verified so far (after warm-up). */
  readonly tokens: number
  readonly rss: number
  readonly heapUsed: number
  /** V8's heap capacity: what RSS holds for the heap, live or not. */
  readonly heapTotal: number
}

/** Result of the memory flood. */
export interface MemoryResult {
  readonly algorithm: string
  readonly tokens: number
  /** After start-up and one request (the JWKS fetched), after a full GC: the baseline. */
  readonly start: MemoryCheckpoint
  /** One checkpoint per quarter of the flood, no GC forced. */
  readonly checkpoints: MemoryCheckpoint[]
  /** After the flood and a full GC. */
  readonly afterGc: MemoryCheckpoint
  /** End RSS minus start RSS (no GC forced): what the flood left in the process. */
  readonly rssGrowth: number
  /** Heap used after GC minus heap used at start: what stays reachable. */
  readonly heapGrowthAfterGc: number
  /** Requests per second during the flood. */
  readonly requestsPerSecond: number
}

/**
 * Floods a scopeguard Express server with `tokens` distinct valid tokens, each minted as it is
 * sent (a million would not fit a pool) and sent twice in a row, and reads the server's memory
 * at start, after each quarter and after a forced GC. The cache admits a token on its second
 * use, so sending each twice is its worst case: every token enters it. Growth beyond the
 * cache's limits, tracking the token count, would mean a leak; a line that levels off at the
 * limits means none.
 */
export async function runMemoryBench(fixture: IssuerFixture, tokens: number, connections: number, cpus: CpuPlan, log: (line: string) => void): Promise<MemoryResult> {
  const settings: ServerSettings = {
    issuer: fixture.issuer.url,
    jwksUri: fixture.issuer.jwksUri,
    audience: AUDIENCE,
    scope: REQUIRED_SCOPE,
    algorithm: fixture.algorithm,
  }
  const child = await startChild('./servers/express-scopeguard.ts', {
    cpus,
    env: { [SERVER_SETTINGS_ENV]: JSON.stringify(settings) },
    nodeArgs: ['--expose-gc'],
  })
  const url = `http://127.0.0.1:${child.port}${ROUTE}`
  const read = async (count: number): Promise<MemoryCheckpoint> => {
    const { usage } = await child.request({ type: 'memory' })
    return { tokens: count, rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal }
  }
  try {
    // The baseline is the server as started, keys fetched; a longer warm-up would already
    // fill part of the verified-token cache, the very growth this measures.
    const first = await fetch(url, { headers: { authorization: `Bearer ${fixture.mint()}` } })
    await first.arrayBuffer()
    if (first.status !== 200) throw new Error(`memory server answered ${first.status} to a valid token`)
    await child.request({ type: 'gc' })
    const start = await read(0)
    const checkpoints: MemoryCheckpoint[] = []
    const quarter = Math.ceil(tokens / 4)
    let sent = 0
    let seconds = 0
    let again: string | undefined
    const twice = (): string => {
      const token = again ?? fixture.mint()
      again = again === undefined ? token : undefined
      return token
    }
    while (sent < tokens) {
      const amount = Math.max(connections, Math.min(quarter, tokens - sent))
      const sample = await runLoad({ url, connections, amount: amount * 2, token: twice })
      if (sample.failed > 0) throw new Error(`memory flood: ${sample.failed} requests failed`)
      sent += amount
      seconds += sample.seconds
      checkpoints.push(await read(sent))
      log(`  ${sent} distinct tokens: RSS ${mb(checkpoints.at(-1)?.rss ?? 0)}`)
    }
    const end = checkpoints.at(-1) as MemoryCheckpoint
    const { collected } = await child.request({ type: 'gc' })
    if (!collected) throw new Error('memory server runs without --expose-gc')
    const afterGc = await read(sent)
    return {
      algorithm: fixture.algorithm,
      tokens: sent,
      start,
      checkpoints,
      afterGc,
      rssGrowth: end.rss - start.rss,
      heapGrowthAfterGc: afterGc.heapUsed - start.heapUsed,
      requestsPerSecond: (sent * 2) / seconds,
    }
  } finally {
    await child.stop()
  }
}

/** Bytes as mebibytes, for log lines and tables. */
export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
