import { describe, expect, it } from 'vitest'
import type { HttpCell, PairedCell } from './http-bench.js'
import type { LoadSample } from './load.js'
import { computeRatios, ratioTable } from './report.js'

const sample = (requestsPerSecond: number): LoadSample => ({
  requestsPerSecond, p50: 1000 / requestsPerSecond, p99: 5000 / requestsPerSecond, ok: requestsPerSecond, failed: 0, seconds: 1, loaderCpu: 0.3,
})

const cell = (variant: string, rps: number[]): HttpCell => ({
  algorithm: 'ES256', mode: 'reused', variant, samples: rps.map(sample), requestsPerSecond: rps[0] as number, p50: 1, p99: 1, spread: 0, loaderCpu: 0.3,
})

const pair = (a: string, b: string, ratios: number[], control = false, loaderCpu = 0.3): PairedCell => ({
  algorithm: 'ES256', mode: 'reused', framework: 'express', a, b, control,
  samples: ratios.map((ratio) => ({ a: ratio * 1000, b: 1000, ratio, cpuShareA: 0.5, loaderCpu, failed: 0 })),
  ratio: [...ratios].sort((x, y) => x - y)[ratios.length >> 1] as number, spread: 0, cpuShareA: 0.5, loaderCpu,
})

// Ours at 900/800/1000 req/s alone against bare at 1000 each round; together 0.95.
const cells = [cell('express-bare', [1000, 1000, 1000]), cell('express-scopeguard', [900, 800, 1000]), cell('express-jose', [500, 500, 500])]
const pairs = [
  pair('express-scopeguard', 'express-bare', [0.94, 0.95, 0.96]),
  pair('express-scopeguard', 'express-jose', [2.5, 2.6, 2.7], false, 0.95),
  pair('express-bare', 'express-bare', [0.99, 1.01, 1.02], true),
]

describe('computeRatios with concurrent pairs', () => {
  const ratios = computeRatios({ cells, pairs }, [], ['ES256'])
  const row = (versus: string) => ratios.find((ratio) => ratio.group === 'express' && ratio.versus === versus && ratio.mode === 'reused')

  it('keeps the one-after-the-other ratio as throughput and the pair median as together', () => {
    expect(row('express-bare')).toMatchObject({ throughput: 0.9, together: 0.95 })
    expect(row('express-jose')).toMatchObject({ throughput: 1.8, together: 2.6 })
  })

  it('marks a ratio whose pair ran the load generator at its limit', () => {
    expect(row('express-bare')?.loaderBound).toBe(false)
    expect(row('express-jose')?.loaderBound).toBe(true)
  })

  it('adds the control row from the bare/bare pair, with no alone figure', () => {
    const control = row('control')
    expect(control).toMatchObject({ control: true, together: 1.01 })
    expect(control?.throughput).toBeNaN()
  })

  it('has no together figure and no control row when the run made no pairs', () => {
    const alone = computeRatios({ cells, pairs: [] }, [], ['ES256'])
    expect(alone.find((ratio) => ratio.versus === 'express-bare')?.together).toBeUndefined()
    expect(alone.some((ratio) => ratio.control === true)).toBe(false)
  })

  it('gives the one-middleware form rows of its own, keyed by its id', () => {
    const withRoute = computeRatios({
      cells: [...cells, cell('express-scopeguard-route', [950, 1000, 990])],
      pairs: [...pairs, pair('express-scopeguard-route', 'express-bare', [0.97, 0.98, 0.99])],
    }, [], ['ES256'])
    const route = withRoute.find((ratio) => ratio.versus === 'express-scopeguard-route:express-bare')
    expect(route).toMatchObject({ label: 'scopeguard, one middleware / bare', throughput: 0.99, together: 0.98 })
    // The app-wide form keeps its rows and figures.
    expect(withRoute.find((ratio) => ratio.versus === 'express-bare')).toMatchObject({ label: 'scopeguard / bare', throughput: 0.9, together: 0.95 })
  })

  it('divides scopeguard by the pass-through server, and the pass-through server by bare', () => {
    const withPassthrough = computeRatios({
      cells: [...cells, cell('express-passthrough', [960, 960, 960])],
      pairs: [...pairs, pair('express-scopeguard', 'express-passthrough', [0.97, 0.98, 0.99]), pair('express-passthrough', 'express-bare', [0.95, 0.96, 0.97])],
    }, [], ['ES256'])
    const find = (versus: string) => withPassthrough.find((ratio) => ratio.versus === versus)
    expect(find('express-passthrough')).toMatchObject({ label: 'scopeguard / pass-through middlewares', together: 0.98 })
    expect(find('express-passthrough')?.throughput).toBeCloseTo(900 / 960, 6)
    expect(find('express-passthrough:express-bare')).toMatchObject({ label: 'pass-through middlewares / bare', throughput: 0.96, together: 0.96 })
  })

  it('prints alone, together and p99, leaving the control row blank where it has no figure', () => {
    const lines = ratioTable(ratios, ['ES256']).split('\n')
    expect(lines[1]).toMatch(/alone\s+together\s+p99/)
    expect(lines.find((line) => line.includes('scopeguard / bare'))).toMatch(/0\.90\s+0\.95\s+/)
    const control = lines.find((line) => line.includes('control')) as string
    expect(control).toMatch(/control: bare \/ bare, a second instance\s+1\.01\s/)
  })
})
