import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { HttpResults } from './http-bench.js'
import { LOADER_BOUND } from './load.js'
import { mb, type MemoryResult } from './memory.js'
import type { MicroCell, MicroSubject } from './micro.js'
import type { BenchAlgorithm } from './settings.js'
import { median } from './stats.js'
import { TOKEN_MODES, VARIANTS, type TokenMode, type Variant } from './variants.js'

/**
 * One ratio of scopeguard to something else (or of the pass-through server to bare, what the
 * framework charges for middlewares), for one algorithm and token mode.
 */
export interface Ratio {
  /** `express`, `koa` or `micro`. */
  readonly group: string
  /** What scopeguard is divided by: a variant id or a micro subject. */
  readonly versus: string
  readonly label: string
  readonly algorithm: BenchAlgorithm
  readonly mode: TokenMode
  /**
   * Ours ÷ theirs, in requests (or operations) per second: above 1, scopeguard is faster. For
   * HTTP, from the servers loaded one after the other in interleaved rounds (NaN on the
   * control row, which has no such figure).
   */
  readonly throughput: number
  /**
   * HTTP only: ours ÷ theirs from the two loaded together on one CPU (`runConcurrentPair`),
   * when the run did that. Unmoved by the machine's swings and, between two instances of one
   * server, unbiased (the control row). Against the floor and the peers it has come out well
   * above the alone ratio (2× for express-oauth2-jwt-bearer in one run), for reasons not
   * established, so for those rows read both columns and take the lower.
   */
  readonly together?: number
  /** The control row: the two instances of the bare server, loaded together; 1 on a perfect method. */
  readonly control?: boolean
  /** Ours ÷ theirs at p50 / p99 latency: below 1, scopeguard is faster. Absent for micro. */
  readonly p50?: number
  readonly p99?: number
  /**
   * One side ran at the load generator's limit, so its true throughput is higher than measured
   * (the bare servers, mostly, with rotating tokens) and the true gap larger.
   */
  readonly loaderBound?: boolean
}

/**
 * Median of the per-round ratios `ours[r] / theirs[r]`. Both were measured in the same round,
 * close in time, so machine drift between rounds cancels in each ratio; the median then drops
 * a round in which a burst of other work hit only one of the two.
 */
export function pairedRatio(ours: readonly number[], theirs: readonly number[]): number {
  if (ours.length === 0 || ours.length !== theirs.length) return median(ours) / median(theirs)
  return median(ours.map((value, round) => value / (theirs[round] as number)))
}

/** Variant a ÷ variant b over HTTP, alone and (where they were paired) together; `undefined` where either was not measured. */
function httpRatio(
  http: HttpResults['cells'],
  pairs: HttpResults['pairs'],
  { algorithm, mode, a, b, group, versus }: { algorithm: BenchAlgorithm; mode: TokenMode; a: Variant; b: Variant; group: string; versus: string },
): Ratio | undefined {
  const cellOf = (variant: Variant) => http.find((cell) => cell.algorithm === algorithm && cell.mode === mode && cell.variant === variant.id)
  const first = cellOf(a)
  const second = cellOf(b)
  if (first === undefined || second === undefined) return undefined
  const together = pairs.find((pair) => pair.algorithm === algorithm && pair.mode === mode && pair.a === a.id && pair.b === b.id && !pair.control)
  return {
    group,
    versus,
    label: `${a.label} / ${b.label}`,
    algorithm,
    mode,
    throughput: pairedRatio(first.samples.map((x) => x.requestsPerSecond), second.samples.map((x) => x.requestsPerSecond)),
    ...(together === undefined ? {} : { together: together.ratio }),
    p50: pairedRatio(first.samples.map((x) => x.p50), second.samples.map((x) => x.p50)),
    p99: pairedRatio(first.samples.map((x) => x.p99), second.samples.map((x) => x.p99)),
    loaderBound: [first.loaderCpu, second.loaderCpu, together?.loaderCpu ?? 0].some((share) => share >= LOADER_BOUND),
  }
}

/** Computes every ratio the report shows, each as a {@link pairedRatio} or the median of concurrent pairs. */
export function computeRatios({ cells: http, pairs }: HttpResults, micro: readonly MicroCell[], algorithms: readonly BenchAlgorithm[]): Ratio[] {
  const ratios: Ratio[] = []
  for (const algorithm of algorithms) {
    for (const mode of TOKEN_MODES) {
      for (const framework of ['express', 'koa'] as const) {
        // Each form of scopeguard (app-wide + requireScopes(), one middleware) against every
        // other variant on the same framework: bare (the ceiling), the pass-through server, the
        // jose floor, the peers.
        for (const oursVariant of VARIANTS.filter((v) => v.framework === framework && v.role === 'ours')) {
          // The first form keeps the plain `versus` id that earlier results used.
          const prefix = oursVariant.id === `${framework}-scopeguard` ? '' : `${oursVariant.id}:`
          for (const variant of VARIANTS.filter((v) => v.framework === framework && v.role !== 'ours')) {
            const ratio = httpRatio(http, pairs, { algorithm, mode, a: oursVariant, b: variant, group: framework, versus: `${prefix}${variant.id}` })
            if (ratio !== undefined) ratios.push(ratio)
          }
        }
        // What the framework itself charges for middlewares mounted where scopeguard's are:
        // the ceiling of scopeguard's own row against bare.
        const bare = VARIANTS.find((v) => v.framework === framework && v.role === 'bare')
        for (const passthrough of VARIANTS.filter((v) => v.framework === framework && v.role === 'passthrough')) {
          const ratio = bare && httpRatio(http, pairs, { algorithm, mode, a: passthrough, b: bare, group: framework, versus: `${passthrough.id}:${bare.id}` })
          if (ratio !== undefined) ratios.push(ratio)
        }
        const control = pairs.find((pair) => pair.algorithm === algorithm && pair.mode === mode && pair.framework === framework && pair.control)
        if (control !== undefined) {
          ratios.push({
            group: framework,
            versus: 'control',
            label: 'control: bare / bare, a second instance',
            algorithm,
            mode,
            throughput: NaN,
            together: control.ratio,
            control: true,
            loaderBound: control.loaderCpu >= LOADER_BOUND,
          })
        }
      }
      const cell = (subject: MicroSubject): MicroCell | undefined =>
        micro.find((c) => c.algorithm === algorithm && c.mode === mode && c.subject === subject)
      const comparisons: [MicroSubject, MicroSubject, string][] = [
        ['scopeguard', 'jose', 'scopeguard / jose.jwtVerify (floor)'],
        ['scopeguard-uncached', 'jose', 'scopeguard, no cache / jose.jwtVerify'],
        ['scopeguard', 'crypto', 'scopeguard / crypto.verify (limit)'],
      ]
      for (const [ours, other, label] of comparisons) {
        const a = cell(ours)
        const b = cell(other)
        if (a !== undefined && b !== undefined) {
          ratios.push({ group: 'micro', versus: `${ours}:${other}`, label, algorithm, mode, throughput: pairedRatio(a.samples, b.samples) })
        }
      }
    }
  }
  return ratios
}

/** Lays out rows as aligned columns: the first `left` columns left-aligned, the rest right-aligned. */
export function formatTable(rows: readonly (readonly string[])[], left = 2): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)))
  return rows
    .map((row) => row.map((cell, index) => (index < left ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ').trimEnd())
    .join('\n')
}

const fixed = (value: number | undefined, digits: number): string => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits))

/**
 * The ratio table: one row per comparison, three columns per algorithm and token mode: req/s
 * with the servers loaded one after the other (`alone`; for micro rows, ops/s), req/s with
 * the two loaded together, and p99 (alone).
 */
export function ratioTable(ratios: readonly Ratio[], algorithms: readonly BenchAlgorithm[]): string {
  const columns = algorithms.flatMap((algorithm) => TOKEN_MODES.map((mode) => ({ algorithm, mode })))
  const header = ['', '', ...columns.flatMap(({ algorithm, mode }) => [`${algorithm} ${mode}`, '', ''])]
  const sub = ['', '', ...columns.flatMap(() => ['alone', 'together', 'p99'])]
  const keys = [...new Map(ratios.map((ratio) => [`${ratio.group}:${ratio.versus}`, ratio])).values()]
  const rows = keys.map((key) => [
    key.group,
    key.label,
    ...columns.flatMap(({ algorithm, mode }) => {
      const ratio = ratios.find((r) => r.group === key.group && r.versus === key.versus && r.algorithm === algorithm && r.mode === mode)
      const http = key.group !== 'micro'
      const bound = ratio?.loaderBound === true ? '*' : ''
      return [
        ratio?.control === true ? '' : `${fixed(ratio?.throughput, 2)}${bound}`,
        http ? `${fixed(ratio?.together, 2)}${ratio?.together === undefined ? '' : bound}` : '',
        http && ratio?.control !== true ? fixed(ratio?.p99, 2) : '',
      ]
    }),
  ])
  return formatTable([header, sub, ...rows])
}

/** Absolute medians of the HTTP cells. */
export function httpTable(http: HttpResults['cells']): string {
  const rows = http.map((cell) => {
    const variant = VARIANTS.find((v) => v.id === cell.variant)
    return [
      `${cell.algorithm} ${cell.mode}`,
      `${variant?.framework ?? ''} ${variant?.label ?? cell.variant}`,
      fixed(cell.requestsPerSecond, 0),
      fixed(cell.p50, 2),
      fixed(cell.p99, 2),
      `±${fixed(cell.spread * 50, 1)}%`,
      `${fixed(cell.loaderCpu * 100, 0)}%${cell.loaderCpu >= LOADER_BOUND ? '*' : ''}`,
    ]
  })
  return formatTable([['', '', 'req/s', 'p50 ms', 'p99 ms', 'spread', 'load gen'], ...rows])
}

/** The concurrent pairs: median ratio, its spread across rounds, side a's CPU share, the load generator's share. */
export function pairTable(pairs: HttpResults['pairs']): string {
  const rows = pairs.map((pair) => [
    `${pair.algorithm} ${pair.mode}`,
    `${pair.a} + ${pair.b}${pair.control ? ' (control)' : ''}`,
    fixed(median(pair.samples.map((sample) => sample.a)), 0),
    fixed(median(pair.samples.map((sample) => sample.b)), 0),
    fixed(pair.ratio, 3),
    `±${fixed(pair.spread * 50, 1)}%`,
    pair.cpuShareA === undefined ? '' : `${fixed(pair.cpuShareA * 100, 1)}%`,
    `${fixed(pair.loaderCpu * 100, 0)}%${pair.loaderCpu >= LOADER_BOUND ? '*' : ''}`,
  ])
  return formatTable([['', 'loaded together on one CPU', 'a req/s', 'b req/s', 'a ÷ b', 'spread', "a's CPU", 'load gen'], ...rows])
}

/** Absolute medians of the microbenchmark. */
export function microTable(micro: readonly MicroCell[]): string {
  const rows = micro.map((cell) => [`${cell.algorithm} ${cell.mode}`, cell.subject, fixed(cell.opsPerSecond, 0), fixed(1e6 / cell.opsPerSecond, 1)])
  return formatTable([['', '', 'ops/s', 'µs/op'], ...rows])
}

/** The memory result in two lines. */
export function memoryLines(memory: MemoryResult): string {
  const curve = memory.checkpoints.map((point) => `${point.tokens}: ${mb(point.rss)}`).join(', ')
  return [
    `${memory.tokens} distinct ${memory.algorithm} tokens, each sent twice, at ${memory.requestsPerSecond.toFixed(0)} req/s: ` +
      `RSS ${mb(memory.start.rss)} → ${mb(memory.checkpoints.at(-1)?.rss ?? 0)} (growth ${mb(memory.rssGrowth)}); ` +
      `heap after GC ${mb(memory.start.heapUsed)} → ${mb(memory.afterGc.heapUsed)} (growth ${mb(memory.heapGrowthAfterGc)}), ` +
      `heap capacity ${mb(memory.start.heapTotal)} → ${mb(memory.afterGc.heapTotal)}`,
    `RSS by tokens sent: ${curve}`,
  ].join('\n')
}

/** Writes `value` as pretty JSON, creating the directory. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`)
}
