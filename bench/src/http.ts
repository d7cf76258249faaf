// Requests per second of every server, loaded one after the other in interleaved rounds.
import { startServers } from './child.js'
import { AUDIENCE, REQUIRED_SCOPE, TOKEN_MODES, rotate, type IssuerFixture, type TokenMode } from './fixtures.js'
import { LOADER_BOUND, runLoad } from './load.js'
import { markdownTable, median, pairedRatio, thousands } from './results.js'
import type { ServerSettings } from './servers/serve.js'
import type { BenchAlgorithm, BenchSettings } from './settings.js'
import { VARIANTS, type Variant } from './variants.js'

/** One server in one token mode: its req/s in each round. */
export interface HttpCell {
  readonly algorithm: BenchAlgorithm
  readonly mode: TokenMode
  readonly variant: Variant
  readonly samples: number[]
  /** The load generator's CPU share in each round (see LOADER_BOUND). */
  readonly loaderCpu: number[]
}

export function serverSettingsFor(fixture: IssuerFixture): ServerSettings {
  return { issuer: fixture.issuer.url, jwksUri: fixture.issuer.jwksUri, audience: AUDIENCE, scope: REQUIRED_SCOPE, algorithm: fixture.algorithm }
}

/**
 * Starts every variant against `fixture`'s issuer, checks each answers as a correctly
 * configured server must, warms each up, then runs `settings.rounds` rounds; each round
 * visits every (token mode, variant) once, odd rounds in reverse order, so the machine's
 * drift lands on every cell alike. Stops every server it started.
 */
export async function runHttp(fixture: IssuerFixture, variants: readonly Variant[], settings: BenchSettings, pinned: boolean, log: (line: string) => void): Promise<HttpCell[]> {
  const servers = await startServers(variants.map((variant) => variant.id), serverSettingsFor(fixture), { pin: pinned })
  try {
    // Each server walks the pool on its own, across warm-up and rounds: restarting at the
    // first token would resend tokens its cache saw in the previous sample.
    const walks = servers.map(() => rotate(fixture.pool))
    for (const [index, server] of servers.entries()) await check(server.url, variants[index] as Variant, fixture)
    log(`  ${servers.length} servers answer correctly; warming up ${settings.warmup} s each`)
    if (settings.warmup > 0) {
      for (const [index, server] of servers.entries()) await runLoad(server.url, settings.connections, walks[index] as () => string, { seconds: settings.warmup })
    }
    const cells = TOKEN_MODES.flatMap((mode) =>
      variants.map((variant, index) => ({ index, cell: { algorithm: fixture.algorithm, mode, variant, samples: [], loaderCpu: [] } as HttpCell })))
    for (let round = 0; round < settings.rounds; round++) {
      for (const { index, cell } of round % 2 === 0 ? cells : [...cells].reverse()) {
        const url = servers[index]?.url as string
        const token = cell.mode === 'reused' ? fixture.reused : (walks[index] as () => string)
        if (settings.leadIn > 0) await runLoad(url, settings.connections, token, { seconds: settings.leadIn })
        const sample = await runLoad(url, settings.connections, token, { seconds: settings.duration })
        if (sample.failed > 0) throw new Error(`${cell.variant.id} ${cell.mode}: ${sample.failed} requests failed`)
        cell.samples.push(sample.requestsPerSecond)
        cell.loaderCpu.push(sample.loaderCpu)
        log(`  round ${round + 1}/${settings.rounds} ${fixture.algorithm} ${cell.mode.padEnd(8)} ${cell.variant.id.padEnd(24)} ${thousands(sample.requestsPerSecond).padStart(7)} req/s` +
          `  load generator ${(100 * sample.loaderCpu).toFixed(0)} % CPU`)
      }
    }
    return cells.map(({ cell }) => cell)
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
  }
}

/** A valid token must get 200; an authenticating server must answer 401 to none and 403 to one without the scope. */
export async function check(url: string, variant: Variant, fixture: IssuerFixture): Promise<void> {
  const expect = async (token: string | undefined, status: number): Promise<void> => {
    const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    await response.arrayBuffer()
    if (response.status !== status) throw new Error(`${variant.id} (${fixture.algorithm}) answered ${response.status}, expected ${status}`)
  }
  await expect(fixture.reused, 200)
  if (variant.role === 'bare' || variant.role === 'passthrough') return
  await expect(undefined, 401)
  await expect(fixture.withoutScope, 403)
}

/** First header cells of the two req/s tables: `pnpm bench` keeps the rows of servers it did not load (see mergeRows). */
export const RATIO_TABLE = 'req/s ratio, median (range over rounds)'
export const MEDIAN_TABLE = 'median req/s'

const columnsOf = (cells: readonly HttpCell[]): string[] => [...new Set(cells.map((cell) => `${cell.algorithm} ${cell.mode}`))]

/**
 * Each form of scopeguard ÷ every other server of its framework, one column per algorithm and
 * token mode: the median of the per-round ratios, and their range. `*`: the load generator ran
 * at its limit on one side, so that server was not saturated and the true gap is larger.
 */
export function ratioTable(cells: readonly HttpCell[]): string {
  const columns = columnsOf(cells)
  const find = (variant: Variant, column: string) => cells.find((cell) => cell.variant === variant && `${cell.algorithm} ${cell.mode}` === column)
  const variants = [...new Set(cells.map((cell) => cell.variant))]
  const rows: string[][] = []
  for (const ours of variants.filter((variant) => variant.role === 'ours')) {
    for (const other of variants.filter((variant) => variant.framework === ours.framework && variant.role !== 'ours')) {
      rows.push([ratioName(ours, other), ...columns.map((column) => {
        const a = find(ours, column)
        const b = find(other, column)
        if (a === undefined || b === undefined) return '—'
        const ratio = pairedRatio(a.samples, b.samples)
        const bound = median(a.loaderCpu) >= LOADER_BOUND || median(b.loaderCpu) >= LOADER_BOUND ? '*' : ''
        return `${ratio.median.toFixed(2)}${bound} (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`
      })])
    }
  }
  return markdownTable([RATIO_TABLE, ...columns], rows)
}

/** The row of `ours` ÷ `other` in the ratio table. */
const ratioName = (ours: Variant, other: Variant): string => `${ours.label} ÷ ${other.label.replace(/^[^,]+, /, '')}`

/** Every row name of both tables, in the order of the variants: rows merged from earlier runs are put in it. */
export function rowOrder(): string[] {
  const ours = VARIANTS.filter((variant) => variant.role === 'ours')
  const pairs = ours.flatMap((variant) => VARIANTS.filter((other) => other.framework === variant.framework && other.role !== 'ours').map((other) => ratioName(variant, other)))
  return [...pairs, ...VARIANTS.map((variant) => variant.label)]
}

/** Median req/s of every cell. */
export function medianTable(cells: readonly HttpCell[]): string {
  const columns = columnsOf(cells)
  const variants = [...new Set(cells.map((cell) => cell.variant))]
  return markdownTable([MEDIAN_TABLE, ...columns], variants.map((variant) => [
    variant.label,
    ...columns.map((column) => {
      const cell = cells.find((c) => c.variant === variant && `${c.algorithm} ${c.mode}` === column)
      return cell === undefined ? '—' : thousands(median(cell.samples))
    }),
  ]))
}
