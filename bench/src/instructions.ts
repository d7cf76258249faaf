// `pnpm --filter @scopeguard/bench run instructions`: CPU instructions per request of each
// server, counted by valgrind's callgrind in every thread of the process (JIT code, GC and
// libuv's pool included). A count does not move with the machine's speed, so this is the
// measure of record for overhead against a bare server; writes the `instructions` section of
// bench/RESULTS.md.
//
// Each server runs under `valgrind --tool=callgrind --instr-atstart=no`: an uninstrumented
// warm-up (the JIT settles), then counting is switched on for a window of a fixed number of
// requests, dumped, and repeated; the spread between windows is the count's own noise.
import { execFile } from 'node:child_process'
import { Agent, request } from 'node:http'
import { mkdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startServer } from './child.js'
import { createIssuerFixture, poolSizeFor, rotate, type IssuerFixture } from './fixtures.js'
import { check, serverSettingsFor } from './http.js'
import { markdownTable, median, provenance, RESULTS_FILE, thousands, writeSection } from './results.js'
import { instructionsIn } from './callgrind.js'
import { list, positiveInteger, readSettings } from './settings.js'
import { selectVariants, VARIANTS, type Variant } from './variants.js'

const run = promisify(execFile)
const env = process.env
const variants = selectVariants(list(env.BENCH_INSTR_VARIANTS), (variant) => variant.role === 'bare' || variant.role === 'ours')
const mode = env.BENCH_INSTR_MODE ?? 'reused'
if (mode !== 'reused' && mode !== 'distinct') throw new Error('BENCH_INSTR_MODE must be reused or distinct')
const warmup = positiveInteger('BENCH_INSTR_WARMUP', 15_000)
const requests = positiveInteger('BENCH_INSTR_REQUESTS', 8000)
const windows = positiveInteger('BENCH_INSTR_WINDOWS', 4)
const algorithm = readSettings().algorithms[0] ?? 'RS256'
/** Compilation and GC on the main thread, so none is left running between windows. */
const NODE_ARGS = ['--single-threaded']
/** Keep-alive connections the requests share; enough that the server always has one waiting. */
const CONNECTIONS = 10
const directory = fileURLToPath(new URL('../results/callgrind/', import.meta.url))

/**
 * Sends exactly `amount` GETs, `CONNECTIONS` at a time, each must be a 200. The same
 * keep-alive sockets carry the warm-up and every window: fresh connections per window made
 * the server deoptimise and recompile its connection code at each window's edge (±50 %).
 */
async function send(agent: Agent, url: URL, token: () => string, amount: number): Promise<void> {
  let sent = 0
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(url, { agent, headers: { authorization: `Bearer ${token()}` } }, (res) => {
        res.resume()
        res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${url.href} answered ${res.statusCode}`))))
      })
      req.setTimeout(120_000, () => req.destroy(new Error('no answer within 120 s')))
      req.once('error', reject)
      req.end()
    })
  const worker = async (): Promise<void> => {
    while (sent < amount) {
      sent++
      await one()
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONNECTIONS, amount) }, worker))
}

/** Instructions per request of each window of one variant. */
async function measure(variant: Variant, fixture: IssuerFixture, token: () => string): Promise<number[]> {
  const out = `${directory}${variant.id}-${algorithm}-${mode}.out`
  for (let window = 1; window <= windows; window++) await rm(`${out}.${window}`, { force: true })
  const server = await startServer(variant.id, serverSettingsFor(fixture), {
    nodeArgs: NODE_ARGS,
    launcher: ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`],
    readyTimeout: 300_000,
  })
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  try {
    // As before a req/s run: 200 to a valid token, 401 without one, 403 without the scope.
    await check(server.url, variant, fixture)
    const url = new URL(server.url)
    await send(agent, url, token, warmup)
    const perRequest: number[] = []
    for (let window = 1; window <= windows; window++) {
      await run('callgrind_control', ['--instr=on', String(server.pid)])
      await send(agent, url, token, requests)
      // A dump writes `<out>.<n>` and zeroes the counters; instrumentation stays on (switching
      // it off would throw away the translated code and make the next window translate it again).
      await run('callgrind_control', ['--dump', String(server.pid)])
      perRequest.push((await instructionsIn(`${out}.${window}`)) / requests)
    }
    return perRequest
  } finally {
    agent.destroy()
    await server.stop()
  }
}

try {
  await run('valgrind', ['--version'])
} catch {
  throw new Error('valgrind is not installed (Debian: apt-get install valgrind)')
}
await mkdir(directory, { recursive: true })
const header = provenance('pnpm --filter @scopeguard/bench run instructions')
const fixture = await createIssuerFixture(algorithm, mode === 'distinct' ? poolSizeFor(undefined) : 0)
const token = mode === 'reused' ? () => fixture.reused : rotate(fixture.pool)
const how = `${algorithm}, ${mode} token; ${thousands(warmup)} warm-up requests, then ${windows} windows of ${thousands(requests)}; node ${NODE_ARGS.join(' ')}`
console.log(`instructions per request (callgrind), ${how}`)
const results = new Map<Variant, { median: number; lowest: number; spread: number }>()
try {
  for (const variant of variants) {
    const started = Date.now()
    const perRequest = await measure(variant, fixture, token)
    const middle = median(perRequest)
    const lowest = Math.min(...perRequest)
    const spread = (Math.max(...perRequest) - lowest) / middle
    results.set(variant, { median: middle, lowest, spread })
    console.log(`${variant.id.padEnd(26)} ${thousands(middle).padStart(10)}  windows ${perRequest.map(thousands).join(' / ')}  spread ${(100 * spread).toFixed(1)} %  (${Math.round((Date.now() - started) / 1000)} s)`)
  }
} finally {
  await fixture.issuer.close()
}

// Every server against bare of its framework; scopeguard's forms also against the
// pass-through server, when it was counted (what the framework charges for two middlewares).
// A window that catches a major GC reads high: the lowest windows' ratio is shown too.
const baseOf = (variant: Variant, role: Variant['role']) => [...results.keys()].find((other) => other.framework === variant.framework && other.role === role)
const ratio = (variant: Variant, role: Variant['role'], figure: 'median' | 'lowest' = 'median'): string => {
  const base = baseOf(variant, role)
  return base === undefined || (role === 'passthrough' && variant.role !== 'ours') ? '—' : ((results.get(variant)?.[figure] ?? NaN) / (results.get(base)?.[figure] ?? NaN)).toFixed(3)
}
const withPassthrough = [...results.keys()].some((variant) => variant.role === 'passthrough')
const rows = [...results].map(([variant, result]) => [
  variant.id,
  thousands(result.median),
  thousands(result.lowest),
  `${(100 * result.spread).toFixed(1)} %`,
  ratio(variant, 'bare'),
  ratio(variant, 'bare', 'lowest'),
  ...(withPassthrough ? [ratio(variant, 'passthrough')] : []),
])
const table = markdownTable([
  'server', 'instructions / request (median)', 'lowest window', 'spread over windows', '÷ bare', '÷ bare, lowest windows', ...(withPassthrough ? ['÷ pass-through'] : []),
], rows)
for (const [variant] of results) if (variant.role !== 'bare') console.log(`${variant.id} / bare: ${ratio(variant, 'bare')} (lowest windows: ${ratio(variant, 'bare', 'lowest')}) instructions`)
// Servers not counted this time keep their rows (and their run's provenance line).
writeSection('instructions', ['## Instructions per request', '', `${header}. ${how}.`, '', table].join('\n'), RESULTS_FILE, ['server'], VARIANTS.map((variant) => variant.id))
console.log(`\n${table}`)
