// `pnpm --filter @scopeguard/bench run introspection`: opaque tokens through RFC 7662
// introspection; writes the `introspection` section of bench/RESULTS.md.
//
// 1. Instructions per `resolve()` of a cached opaque token against a cached JWT, in one
//    authenticator, counted by callgrind (the measure of record: a count does not move with
//    the machine). Each figure is (instructions of a window of N_LARGE resolves − those of
//    a window of N_SMALL) ÷ (N_LARGE − N_SMALL), which cancels what a window costs besides
//    its resolves (the IPC message that starts it, the reply that ends it).
// 2. Concurrent first requests with one opaque token: introspection requests at the fake issuer.
// 3. A flood of distinct made-up opaque tokens, in concurrent batches: introspection requests,
//    503s once `maxInFlight` introspections are out, the most out at once, heap after a full GC.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import { AUDIENCE, REQUIRED_SCOPE } from './fixtures.js'
import type { ChildRequest, ChildSettings, FloodReply } from './introspection-child.js'
import { mib } from './memory.js'
import { markdownTable, median, provenance, RESULTS_FILE, thousands, writeSection } from './results.js'
import { instructionsIn } from './callgrind.js'
import { positiveInteger, readSettings } from './settings.js'

const run = promisify(execFile)
const env = process.env
const small = positiveInteger('BENCH_INTROSPECTION_SMALL', 10_000)
const large = positiveInteger('BENCH_INTROSPECTION_LARGE', 60_000)
const repeats = positiveInteger('BENCH_INTROSPECTION_REPEATS', 5)
const concurrent = positiveInteger('BENCH_INTROSPECTION_CONCURRENT', 50)
const floodTokens = positiveInteger('BENCH_INTROSPECTION_FLOOD', 20_000)
const batch = positiveInteger('BENCH_INTROSPECTION_BATCH', 1000)
if (large <= small) throw new Error('BENCH_INTROSPECTION_LARGE must be above BENCH_INTROSPECTION_SMALL')
const algorithm = readSettings().algorithms[0] ?? 'RS256'
/** Unmeasured resolves before counting: rounds × this many of each token and each line mode. */
const WARM_ROUNDS = 5
/**
 * Compilation and GC on the main thread, as in instructions.ts; `gc()` (a full GC before each
 * window, uncounted); one hash seed for both children.
 */
const NODE_ARGS = ['--single-threaded', '--expose-gc', '--hash-seed=20261203']
/** Opaque tokens sent again after the flood, one at a time: each must be introspected again (inactive answers are not cached). */
const AGAIN = 100
const KINDS = ['jwt', 'opaque'] as const
type Kind = (typeof KINDS)[number]
const LINES = ['same', 'fresh', 'copy'] as const
const TSX_LOADER = import.meta.resolve('tsx')
const CHILD = fileURLToPath(new URL('./introspection-child.ts', import.meta.url))
const directory = fileURLToPath(new URL('../results/callgrind/', import.meta.url))

const began = Date.now()
const log = (line: string): void => console.log(`[${String(Math.round((Date.now() - began) / 1000)).padStart(4)} s] ${line}`)

interface Child {
  readonly pid: number
  ask<T = Record<string, unknown>>(request: ChildRequest): Promise<T>
  stop(): Promise<void>
}

/** Starts introspection-child.ts (under `launcher`, if any) and waits until it is ready. */
async function startChild(settings: ChildSettings, nodeArgs: readonly string[], launcher: readonly string[] = []): Promise<Child> {
  const argv = [...launcher, process.execPath, '--import', TSX_LOADER, ...nodeArgs, CHILD, JSON.stringify(settings)]
  const child: ChildProcess = spawn(argv[0] as string, argv.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...env, NODE_ENV: 'production' },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pending = new Map<number, { resolve: (reply: Record<string, unknown>) => void; reject: (error: Error) => void }>()
  let next = 0
  child.on('message', (message: { id?: number; error?: string }) => {
    const waiter = message.id === undefined ? undefined : pending.get(message.id)
    if (waiter === undefined) return
    pending.delete(message.id as number)
    if (message.error === undefined) waiter.resolve(message)
    else waiter.reject(new Error(`introspection child: ${message.error}`))
  })
  child.once('exit', (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`introspection child exited (${code ?? signal})`))
    pending.clear()
  })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('introspection child did not start within 300 s')), 300_000)
      child.once('message', () => (clearTimeout(timer), resolve()))
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`introspection child exited before it was ready (${code})`))))
    })
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw error
  }
  return {
    pid: child.pid as number,
    ask: <T>(request: ChildRequest) =>
      new Promise<T>((resolve, reject) => {
        const id = next++
        pending.set(id, { resolve: resolve as (reply: Record<string, unknown>) => void, reject })
        child.send({ ...request, id })
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      if (child.connected) child.send('exit')
      else child.kill()
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

const introspectionCount = (issuer: FakeIssuer): number => issuer.requests.introspection

interface FirstRequests {
  readonly accepted: number
  readonly sources: string[]
  readonly sameClaims: boolean
  readonly failures: string[]
  readonly atIssuer: number
  readonly discovery: number
}

interface Flood extends FloodReply {
  readonly atIssuer: number
  /** [distinct tokens sent so far, heap used after a full GC, RSS]: after the unmeasured batch, then after each quarter. */
  readonly memory: [number, number, number][]
  readonly again: { readonly sent: number; readonly outcomes: Record<string, number>; readonly atIssuer: number }
}

/** 2 and 3: in a plain node process with --expose-gc. */
async function firstRequestsAndFlood(issuer: FakeIssuer, settings: ChildSettings): Promise<{ first: FirstRequests; flood: Flood }> {
  const child = await startChild(settings, ['--expose-gc'])
  try {
    issuer.resetCounts()
    const reply = await child.ask<Omit<FirstRequests, 'atIssuer' | 'discovery'>>({ do: 'concurrent', token: issuer.opaqueToken({ scope: REQUIRED_SCOPE, expiresIn: 3600 }), count: concurrent })
    const first = { ...reply, atIssuer: introspectionCount(issuer), discovery: issuer.requests.discovery }
    log(`${concurrent} concurrent first requests, one opaque token: ${first.accepted} accepted, ${first.atIssuer} introspection request(s) at the issuer`)

    // One batch first, unmeasured: code compiled, connections to the issuer open.
    await child.ask({ do: 'flood', total: batch, batch })
    const memoryNow = async (sent: number): Promise<[number, number, number]> => {
      const { heapUsed, rss } = await child.ask<{ heapUsed: number; rss: number }>({ do: 'memory' })
      return [sent, heapUsed, rss]
    }
    const memory = [await memoryNow(0)]
    issuer.resetCounts()
    // In quarters, with the heap after a full GC after each: it must level off, not grow with the tokens sent.
    const parts: FloodReply[] = []
    for (let sent = 0; sent < floodTokens;) {
      const amount = Math.min(Math.ceil(floodTokens / 4 / batch) * batch, floodTokens - sent)
      parts.push(await child.ask<FloodReply>({ do: 'flood', total: amount, batch }))
      sent += amount
      memory.push(await memoryNow(sent))
    }
    const atIssuer = introspectionCount(issuer)
    issuer.resetCounts()
    const again = await child.ask<{ sent: number; outcomes: Record<string, number> }>({ do: 'again', count: AGAIN })
    const outcomes: Record<string, number> = {}
    for (const part of parts) for (const [code, amount] of Object.entries(part.outcomes)) outcomes[code] = (outcomes[code] ?? 0) + amount
    const sum = (pick: (part: FloodReply) => number): number => parts.reduce((total, part) => total + pick(part), 0)
    const flood: Flood = {
      sent: sum((part) => part.sent),
      outcomes,
      unavailable: sum((part) => part.unavailable),
      introspections: sum((part) => part.introspections),
      peakInFlight: Math.max(...parts.map((part) => part.peakInFlight)),
      peakHeapUsed: Math.max(...parts.map((part) => part.peakHeapUsed)),
      milliseconds: sum((part) => part.milliseconds),
      atIssuer,
      memory,
      again: { ...again, atIssuer: introspectionCount(issuer) },
    }
    log(`flood of ${thousands(floodTokens)} distinct opaque tokens: ${flood.atIssuer} introspection requests, ${flood.unavailable} × 503, at most ${flood.peakInFlight} in flight; ` +
      `heap after GC ${flood.memory.map(([, heap]) => mib(heap)).join(' → ')}`)
    return { first, flood }
  } finally {
    await child.stop()
  }
}

type Line = (typeof LINES)[number]
/** Instructions per call of each repeat, by kind and line mode. */
type Counts = Record<Kind, Record<Line, number[]>>
/** The order the two tokens entered the cache. */
type Order = readonly [Kind, Kind]
const ORDERS: readonly Order[] = [['jwt', 'opaque'], ['opaque', 'jwt']]

/**
 * 1: instructions per cache-hit resolve, under callgrind, in a child whose authenticator
 * cached the tokens in `order`. The cache's Map finds a key by walking its hash bucket, newest
 * entry first: when the two keys share a bucket, the one cached second is found one string
 * comparison sooner (about 150 instructions), whatever its kind. Each order is therefore
 * counted in its own child, with the same hash seed so both lay out their buckets alike.
 */
async function instructions(settings: ChildSettings, tokens: Record<Kind, string>, order: Order): Promise<Counts> {
  await mkdir(directory, { recursive: true })
  const out = `${directory}introspection-${algorithm}-${order[0]}-first.out`
  const windows = repeats * KINDS.length * LINES.length * 2
  for (let window = 0; window <= windows; window++) await rm(window === 0 ? out : `${out}.${window}`, { force: true })
  const child = await startChild(settings, NODE_ARGS, ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`])
  const counts = Object.fromEntries(KINDS.map((kind) => [kind, Object.fromEntries(LINES.map((line) => [line, [] as number[]]))])) as Counts
  const name = `${order[0]} cached first`
  try {
    log(`callgrind (${name}): child started; warming up (${WARM_ROUNDS} × ${thousands(small)} resolves of each token and line mode)`)
    const warm = await child.ask<{ misses: number; sources: Record<Kind, string> }>({ do: 'warm', tokens: order.map((kind) => [kind, tokens[kind]] as const), rounds: WARM_ROUNDS, n: small })
    if (warm.misses !== 0 || warm.sources.jwt !== 'jwt' || warm.sources.opaque !== 'introspection') throw new Error(`warm-up: ${JSON.stringify(warm)}`)
    await run('callgrind_control', ['--instr=on', String(child.pid)])
    let window = 0
    const count = async (kind: Kind, line: Line, n: number): Promise<number> => {
      const { misses } = await child.ask<{ misses: number }>({ do: 'loop', kind, n, line })
      if (misses !== 0) throw new Error(`${kind}/${line}: ${misses} of ${n} resolves were not the cached result`)
      // A dump writes `<out>.<n>` and zeroes the counters; instrumentation stays on.
      await run('callgrind_control', ['--dump', String(child.pid)])
      return instructionsIn(`${out}.${++window}`)
    }
    for (let repeat = 0; repeat < repeats; repeat++) {
      // Alternate which kind is counted first, so nothing that drifts over the run favours one.
      for (const kind of repeat % 2 === 0 ? KINDS : [...KINDS].reverse()) {
        for (const line of LINES) {
          const low = await count(kind, line, small)
          const high = await count(kind, line, large)
          counts[kind][line].push((high - low) / (large - small))
        }
      }
      log(`  ${name}, repeat ${repeat + 1}/${repeats}: ${KINDS.map((kind) => `${kind} ${LINES.map((line) => `${line} ${thousands(counts[kind][line].at(-1) as number)}`).join(', ')}`).join('; ')}`)
    }
    return counts
  } finally {
    await child.stop()
  }
}

try {
  await run('valgrind', ['--version'])
} catch {
  throw new Error('valgrind is not installed (Debian: apt-get install valgrind)')
}
const header = provenance('pnpm --filter @scopeguard/bench run introspection')
const issuer = await createFakeIssuer({ algorithm, audience: AUDIENCE })
const settings: ChildSettings = {
  issuer: issuer.url,
  audience: AUDIENCE,
  publicJwk: { ...issuer.signingKey.publicJwk },
  algorithm,
  introspectionEndpoint: issuer.introspectionEndpoint,
  clientId: issuer.client.clientId,
  clientSecret: issuer.client.clientSecret as string,
}
let first: FirstRequests
let flood: Flood
let byOrder: Counts[]
try {
  ;({ first, flood } = await firstRequestsAndFlood(issuer, settings))
  const tokens: Record<Kind, string> = {
    jwt: await issuer.token({ scope: REQUIRED_SCOPE, expiresIn: 3600 }),
    opaque: issuer.opaqueToken({ scope: REQUIRED_SCOPE, expiresIn: 3600 }),
  }
  // Both orders at once, one child per CPU: a count does not depend on what else runs.
  byOrder = await Promise.all(ORDERS.map((order) => instructions(settings, tokens, order)))
} finally {
  await issuer.close()
}

/** Instructions per resolve of each repeat; with a fresh line, less the copy's own. */
const per = (counts: Counts, kind: Kind, line: Line): number[] =>
  line === 'fresh' ? counts[kind].fresh.map((value, repeat) => value - (counts[kind].copy[repeat] as number)) : counts[kind][line]
const range = (values: readonly number[]): string => (Math.min(...values) === Math.max(...values) ? '' : ` (${thousands(Math.min(...values))}–${thousands(Math.max(...values))})`)
const LINE_NAMES: Record<'same' | 'fresh', string> = {
  same: 'the same `Authorization` string each call',
  fresh: 'a new copy of the string each call, as an HTTP parser makes (the copy\'s own count subtracted)',
}
const ratios: Record<string, number> = {}
const instructionRows = (['same', 'fresh'] as const).flatMap((line) => {
  const rows = ORDERS.map((order, index) => {
    const counts = byOrder[index] as Counts
    const jwt = per(counts, 'jwt', line)
    const opaque = per(counts, 'opaque', line)
    return { order, jwt: median(jwt), opaque: median(opaque), jwtRange: range(jwt), opaqueRange: range(opaque) }
  })
  const jwt = median(rows.map((row) => row.jwt))
  const opaque = median(rows.map((row) => row.opaque))
  ratios[line] = opaque / jwt
  return [
    ...rows.map((row) => [LINE_NAMES[line], row.order[0] === 'jwt' ? 'JWT' : 'opaque', `${thousands(row.jwt)}${row.jwtRange}`, `${thousands(row.opaque)}${row.opaqueRange}`, (row.opaque / row.jwt).toFixed(3)]),
    [LINE_NAMES[line], '**mean of both orders**', `**${thousands(jwt)}**`, `**${thousands(opaque)}**`, `**${(opaque / jwt).toFixed(3)}**`],
  ]
})
const outcomes = (record: Record<string, number>): string => Object.entries(record).map(([code, amount]) => `${thousands(amount)} \`${code}\``).join(', ')
const how = `${algorithm} JWT (local keys) and an opaque token, each cached (two uses) in one authenticator with ` +
  '`introspection: { clientId, clientSecret, cache: { ttl: 3600000 } }` and `tokenCache: { ttl: 3600000 }`; ' +
  `callgrind, node ${NODE_ARGS.join(' ')}, ${WARM_ROUNDS} × ${thousands(small)} uncounted resolves of each first; ` +
  `each figure (instructions of ${thousands(large)} resolves − those of ${thousands(small)}) ÷ ${thousands(large - small)}, median of ${repeats} repeats (their range when they differ). ` +
  'Which token was cached first matters when their keys share a bucket of the cache\'s Map (the one cached second is found one string comparison sooner, whatever its kind), ' +
  'so each order is counted in its own process (same `--hash-seed`), and the mean of both is the figure'
const section = [
  '## Introspection (opaque tokens)',
  '',
  `${header}.`,
  '',
  `**Cached opaque token against cached JWT**: instructions per \`authenticator.resolve()\` (a synchronous cache hit, checked on every call). ${how}.`,
  '',
  markdownTable(['resolve(), cache hit', 'cached first', 'JWT, instructions', 'opaque, instructions', 'opaque ÷ JWT'], instructionRows),
  '',
  `**${concurrent} concurrent first requests with one opaque token** (\`authenticate()\`, fresh authenticator): ` +
    `${first.atIssuer} introspection request(s) at the fake issuer (and ${first.discovery} metadata request for its endpoint); ` +
    `${first.accepted} of ${concurrent} accepted${first.sameClaims ? ', all with the same claims' : ', NOT all with the same claims'} (source ${first.sources.join(', ')})` +
    `${first.failures.length === 0 ? '' : `; failed: ${first.failures.join(', ')}`}.`,
  '',
  `**A flood of distinct made-up opaque tokens** (\`authenticate()\`, batches of ${thousands(batch)} concurrent requests, after one unmeasured batch; ` +
    'default introspection cache: `maxInFlight` 64, inactive answers not cached):',
  '',
  markdownTable(['flood', 'figure'], [
    ['distinct tokens sent', thousands(flood.sent)],
    ['introspection requests at the fake issuer', thousands(flood.atIssuer)],
    ['introspection requests the authenticator sent; most at once', `${thousands(flood.introspections)}; ${flood.peakInFlight}`],
    ['answers', outcomes(flood.outcomes)],
    ['503 `introspection_unavailable` (refused, not queued, once 64 were in flight)', thousands(flood.unavailable)],
    ['heap used after a full GC, at ' + flood.memory.map(([sent]) => thousands(sent)).join(' / ') + ' tokens', flood.memory.map(([, heap]) => mib(heap)).join(' / ')],
    ['heap used during the flood (no GC), highest after a batch', mib(flood.peakHeapUsed)],
    ['RSS at the same points', flood.memory.map(([, , rss]) => mib(rss)).join(' / ')],
    ['time', `${(flood.milliseconds / 1000).toFixed(1)} s`],
    [`${AGAIN} of the last batch's tokens sent again, one at a time`, `${outcomes(flood.again.outcomes)}; ${flood.again.atIssuer} introspection requests at the issuer (inactive answers are not cached)`],
  ]),
].join('\n')

writeSection('introspection', section, RESULTS_FILE)
console.log(`\n${section}\n`)
log(`written to ${RESULTS_FILE}`)
