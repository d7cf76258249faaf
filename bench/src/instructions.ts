// `pnpm --filter @scopeguard/bench run instructions`: CPU instructions per request of each
// server variant, counted by valgrind's callgrind, not timed.
//
// Why: on these shared VMs the CPU's speed moves 2-3x within a run and there are no hardware
// counters (`perf stat -e instructions` reports "not supported"), so a throughput ratio
// between two servers carries errors of ~10 %, as large as the gaps the targets are about.
// Instructions executed are what the program does, whatever the machine is doing: callgrind
// counts them in every thread of the process (JIT code, GC and libuv's pool included) and
// gives the same count for the same work. An instruction is not a second (cache misses and
// branch mispredictions cost more), so this is a second opinion on the req/s ratios, not a
// replacement.
//
// Each server runs under `valgrind --tool=callgrind --instr-atstart=no`: the warm-up runs
// uninstrumented (the JIT settles), then counting is switched on for a fixed number of
// requests, dumped, and repeated, so each variant gets several windows and the spread
// between them shows the count's own noise.
//
// BENCH_INSTR_VARIANTS (default: express-bare,express-scopeguard,koa-bare,koa-scopeguard),
// BENCH_INSTR_MODE (reused|distinct, default reused), BENCH_ALGORITHMS (first is used),
// BENCH_INSTR_WARMUP (requests, default 15000), BENCH_INSTR_REQUESTS (per window, default
// 8000), BENCH_INSTR_WINDOWS (default 4), BENCH_INSTR_NODE_ARGS (default --single-threaded),
// BENCH_INSTR_CACHE_SIM=1 (valgrind's cache simulation too, for a cycle estimate; slower).
import { execFile } from 'node:child_process'
import { Agent, request } from 'node:http'
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startChild } from './child.js'
import { planCpus } from './cpu.js'
import { AUDIENCE, REQUIRED_SCOPE, createIssuerFixture, defaultTokenCacheEntries, poolSizeFor } from './fixtures.js'
import { rotate } from './http-bench.js'
import { ROUTE, SERVER_SETTINGS_ENV, type ServerSettings } from './servers/serve.js'
import { readSettings } from './settings.js'
import { median } from './stats.js'
import { VARIANTS, type TokenMode, type Variant } from './variants.js'

const run = promisify(execFile)

const settings = readSettings()
const env = process.env
const variantIds = (env.BENCH_INSTR_VARIANTS ?? 'express-bare,express-scopeguard,koa-bare,koa-scopeguard').split(',')
const variants = variantIds.map((id) => {
  const variant = VARIANTS.find((v) => v.id === id.trim())
  if (variant === undefined) throw new Error(`BENCH_INSTR_VARIANTS: unknown variant "${id}"; known: ${VARIANTS.map((v) => v.id).join(', ')}`)
  return variant
})
const mode = (env.BENCH_INSTR_MODE ?? 'reused') as TokenMode
if (mode !== 'reused' && mode !== 'distinct') throw new Error('BENCH_INSTR_MODE must be reused or distinct')
const warmup = positiveInteger('BENCH_INSTR_WARMUP', 15_000)
const requests = positiveInteger('BENCH_INSTR_REQUESTS', 8000)
const windows = positiveInteger('BENCH_INSTR_WINDOWS', 4)
const algorithm = settings.algorithms[0] ?? 'ES256'
const NODE_ARGS = (env.BENCH_INSTR_NODE_ARGS ?? '--single-threaded').split(' ').filter((arg) => arg !== '')
const CACHE_SIM = ['1', 'true'].includes(env.BENCH_INSTR_CACHE_SIM ?? '')
if (!['', '0', '1', 'false', 'true'].includes(env.BENCH_INSTR_CACHE_SIM ?? '')) throw new Error('BENCH_INSTR_CACHE_SIM must be 1 or 0')
/** Keep-alive connections the requests share; enough that the server always has one waiting. */
const CONNECTIONS = 10
const directory = fileURLToPath(new URL('../results/callgrind/', import.meta.url))

function positiveInteger(name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`)
  return value
}

/** What one window cost the server, per request. */
interface WindowCost {
  /** Instructions executed (callgrind's `Ir`). */
  readonly instructions: number
  /**
   * With `BENCH_INSTR_CACHE_SIM=1`: KCachegrind's cycle estimate, Ir + 10 × first-level cache
   * misses + 100 × last-level misses, of valgrind's simulated caches. Rough, but it charges
   * a program whose data or code does not fit the caches, which a bare count does not.
   */
  readonly cycles: number | undefined
}

/** The cost recorded in one dump file (its `events:` and `totals:` lines), divided by `requests`. */
async function windowCost(path: string, requests: number): Promise<WindowCost> {
  const text = await readFile(path, 'utf8')
  const events = /^events: (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/)
  const totals = /^(?:totals|summary): (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number)
  if (events === undefined || totals === undefined) throw new Error(`${path}: no events or totals line`)
  const count = (name: string): number | undefined => {
    const index = events.indexOf(name)
    return index === -1 ? undefined : (totals[index] ?? 0)
  }
  const instructions = count('Ir')
  if (instructions === undefined) throw new Error(`${path}: no Ir event`)
  const firstLevel = ['I1mr', 'D1mr', 'D1mw'].map(count)
  const lastLevel = ['ILmr', 'DLmr', 'DLmw'].map(count)
  const cycles = [...firstLevel, ...lastLevel].some((value) => value === undefined)
    ? undefined
    : instructions + 10 * sum(firstLevel as number[]) + 100 * sum(lastLevel as number[])
  return { instructions: instructions / requests, cycles: cycles === undefined ? undefined : cycles / requests }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}

/**
 * Sends exactly `amount` GETs over `agent`'s keep-alive sockets, `concurrency` at a time,
 * and checks each is a 200. The same sockets carry the warm-up and every window: a load
 * generator that opened fresh connections per window (autocannon does) would make the server
 * run its connection set-up and tear-down code at each window's edges, and the JIT's
 * deoptimisations and recompilations there landed in the windows' counts (±50 %).
 */
async function sendRequests(agent: Agent, url: URL, token: string | (() => string), amount: number, concurrency: number): Promise<void> {
  let sent = 0
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const bearer = typeof token === 'string' ? token : token()
      const req = request(url, { agent, headers: { authorization: `Bearer ${bearer}` } }, (res) => {
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
  await Promise.all(Array.from({ length: Math.min(concurrency, amount) }, worker))
}

/** Per-window cost per request of one variant. */
async function measure(variant: Variant, serverSettings: ServerSettings, token: string | (() => string)): Promise<WindowCost[]> {
  const out = `${directory}${variant.id}-${algorithm}-${mode}.out`
  // Only this variant's earlier dumps go: another run may be counting other variants beside this one.
  for (const name of await readdir(directory)) if (`${directory}${name}`.startsWith(`${out}`)) await rm(`${directory}${name}`)
  const child = await startChild(variant.module, {
    cpus: { ...planCpus(), pinned: false },
    env: { [SERVER_SETTINGS_ENV]: JSON.stringify(serverSettings) },
    nodeArgs: NODE_ARGS,
    launcher: ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', ...(CACHE_SIM ? ['--cache-sim=yes'] : []), `--callgrind-out-file=${out}`],
    readyTimeout: 300_000,
  })
  const pid = String(child.process.pid)
  const url = new URL(`http://127.0.0.1:${child.port}${ROUTE}`)
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  const load = (amount: number): Promise<void> => sendRequests(agent, url, token, amount, CONNECTIONS)
  try {
    await load(warmup)
    const perRequest: WindowCost[] = []
    for (let window = 1; window <= windows; window++) {
      await run('callgrind_control', ['--instr=on', pid])
      await load(requests)
      // A dump writes `<out>.<n>` and zeroes the counters; switching instrumentation off
      // between windows would throw away the translated code and make the next window pay
      // for translating it again (valgrind's work, but it perturbs the guest's timing).
      await run('callgrind_control', ['--dump', pid])
      perRequest.push(await windowCost(`${out}.${window}`, requests))
    }
    return perRequest
  } finally {
    agent.destroy()
    await child.stop()
  }
}

try {
  await run('valgrind', ['--version'])
} catch {
  throw new Error('valgrind is not installed: this measurement runs each server under valgrind --tool=callgrind (Debian: apt-get install valgrind)')
}
await mkdir(directory, { recursive: true })
const fixture = await createIssuerFixture(algorithm, mode === 'distinct' ? poolSizeFor(settings.poolSize, defaultTokenCacheEntries()) : 0)
const serverSettings: ServerSettings = { issuer: fixture.issuer.url, jwksUri: fixture.issuer.jwksUri, audience: AUDIENCE, scope: REQUIRED_SCOPE, algorithm }
const token = mode === 'reused' ? fixture.reused : rotate(fixture.pool)
console.log(`instructions per request (callgrind), ${algorithm}, ${mode} token; ${warmup} warm-up requests, ${windows} windows of ${requests}`)
const results = new Map<string, WindowCost>()
const format = (value: number): string => Math.round(value).toLocaleString('en')
try {
  for (const variant of variants) {
    const started = Date.now()
    const perRequest = await measure(variant, serverSettings, token)
    const instructions = perRequest.map((window) => window.instructions)
    const middle = median(instructions)
    const cycles = perRequest.every((window) => window.cycles !== undefined) ? median(perRequest.map((window) => window.cycles as number)) : undefined
    results.set(variant.id, { instructions: middle, cycles })
    const spread = (Math.max(...instructions) - Math.min(...instructions)) / middle
    console.log(
      `${variant.id.padEnd(20)} ${format(middle).padStart(10)}  windows ${instructions.map(format).join(' / ')}  spread ${(100 * spread).toFixed(1)} %` +
        `${cycles === undefined ? '' : `  estimated cycles ${format(cycles)}`}  (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    )
  }
} finally {
  await fixture.issuer.close()
}
for (const framework of ['express', 'koa'] as const) {
  // Each server against bare; scopeguard's forms also against the pass-through server, which
  // mounts middlewares that do nothing where the app-wide form mounts its own (what the
  // framework charges for them).
  const measured = variants.filter((variant) => variant.framework === framework && results.has(variant.id))
  const baselines: [Variant['role'], (variant: Variant) => boolean][] = [
    ['bare', (variant) => variant.role !== 'bare'],
    ['passthrough', (variant) => variant.role === 'ours'],
  ]
  for (const [role, compared] of baselines) {
    const base = measured.find((variant) => variant.role === role)
    if (base === undefined) continue
    const baseCost = results.get(base.id) as WindowCost
    for (const variant of measured.filter(compared)) {
      const cost = results.get(variant.id) as WindowCost
      const byCycles = cost.cycles === undefined || baseCost.cycles === undefined ? '' : `; by estimated cycles ${(baseCost.cycles / cost.cycles).toFixed(3)}`
      console.log(`${variant.id} / ${base.id}: ${(cost.instructions / baseCost.instructions).toFixed(3)} instructions, i.e. at equal instructions per second ${(baseCost.instructions / cost.instructions).toFixed(3)} of its throughput${byCycles}`)
    }
  }
}
