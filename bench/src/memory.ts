// The memory flood: RSS of a scopeguard Express server while it verifies many distinct tokens.
import { startServer } from './child.js'
import { serverSettingsFor } from './http.js'
import type { IssuerFixture } from './fixtures.js'
import { runLoad } from './load.js'
import { markdownTable, thousands } from './results.js'

export interface MemoryResult {
  readonly algorithm: string
  /** [distinct tokens sent so far, RSS in bytes]: at start (after a GC), then after each quarter. */
  readonly rss: [number, number][]
  /** Heap used at start and after the flood, each after a full GC: what stays reachable. */
  readonly heapBefore: number
  readonly heapAfter: number
  readonly requestsPerSecond: number
}

/**
 * Sends `tokens` distinct valid tokens, minted as they are sent, each twice in a row: the
 * verified-token cache admits a token on its second use, so every token enters it (its worst
 * case). RSS must level off at the cache's limits; growth that tracks the token count is a leak.
 */
export async function runMemory(fixture: IssuerFixture, tokens: number, connections: number, pinned: boolean, log: (line: string) => void): Promise<MemoryResult> {
  const server = await startServer('express-scopeguard', serverSettingsFor(fixture), { nodeArgs: ['--expose-gc'], pin: pinned })
  try {
    // The start is the server with its keys fetched, before any token could be cached twice.
    const first = await fetch(server.url, { headers: { authorization: `Bearer ${fixture.mint()}` } })
    await first.arrayBuffer()
    if (first.status !== 200) throw new Error(`memory server answered ${first.status} to a valid token`)
    const start = await server.memory(true)
    const rss: [number, number][] = [[0, start.rss]]
    let again: string | undefined
    const twice = (): string => {
      const token = again ?? fixture.mint()
      again = again === undefined ? token : undefined
      return token
    }
    let sent = 0
    let seconds = 0
    while (sent < tokens) {
      const amount = Math.min(Math.ceil(tokens / 4), tokens - sent)
      const sample = await runLoad(server.url, connections, twice, { amount: amount * 2 })
      if (sample.failed > 0) throw new Error(`memory flood: ${sample.failed} requests failed`)
      sent += amount
      seconds += sample.seconds
      rss.push([sent, (await server.memory(false)).rss])
      log(`  ${thousands(sent)} distinct tokens: RSS ${mib(rss.at(-1)?.[1] ?? 0)}`)
    }
    const end = await server.memory(true)
    return { algorithm: fixture.algorithm, rss, heapBefore: start.heapUsed, heapAfter: end.heapUsed, requestsPerSecond: (2 * sent) / seconds }
  } finally {
    await server.stop()
  }
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

export function memoryReport(result: MemoryResult): string {
  const [, startRss] = result.rss[0] as [number, number]
  const [tokens, endRss] = result.rss.at(-1) as [number, number]
  return [
    `${thousands(tokens)} distinct ${result.algorithm} tokens, each sent twice (${thousands(result.requestsPerSecond)} req/s), to a scopeguard Express server: ` +
      `RSS ${mib(startRss)} → ${mib(endRss)} (+${mib(endRss - startRss)}); heap used after a full GC ${mib(result.heapBefore)} → ${mib(result.heapAfter)}.`,
    '',
    markdownTable(['distinct tokens', ...result.rss.map(([count]) => thousands(count))], [['RSS', ...result.rss.map(([, bytes]) => mib(bytes))]]),
  ].join('\n')
}
