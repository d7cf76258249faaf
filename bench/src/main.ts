// `pnpm bench`: HTTP throughput and latency against bare frameworks and peers, the
// verification path against jose and node:crypto, and memory under a flood of distinct
// tokens, in one run. Prints ratio tables; writes everything to bench/results/latest.json.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus as listCpus, loadavg, release } from 'node:os'
import { fileURLToPath } from 'node:url'
import { pinSelf, planCpus } from './cpu.js'
import { AUDIENCE, createIssuerFixture, defaultTokenCacheEntries, poolSizeFor, type IssuerFixture } from './fixtures.js'
import { runHttpBench } from './http-bench.js'
import { runMemoryBench } from './memory.js'
import { runMicroBench } from './micro.js'
import { computeRatios, httpTable, memoryLines, microTable, pairTable, ratioTable, writeJson } from './report.js'
import { readSettings } from './settings.js'

const RESULTS = fileURLToPath(new URL('../results/latest.json', import.meta.url))
const PACKAGES = ['@scopeguard/core', 'jose', 'express', 'koa', 'express-oauth2-jwt-bearer', 'express-jwt', 'jwks-rsa', 'koa-jwt', 'autocannon']

const began = Date.now()
const elapsed = (): string => `${((Date.now() - began) / 1000).toFixed(0)} s`.padStart(5)
const log = (line: string): void => console.log(line.startsWith('\n') || line.includes('\n') ? line : `[${elapsed()}] ${line}`)
const settings = readSettings()
const cpus = planCpus()
const loadBefore = loadavg()
// Read now, next to the build the script just ran: the tree may move on during the run.
const source = gitState()
const cacheEntries = defaultTokenCacheEntries()
const poolSize = poolSizeFor(settings.poolSize, cacheEntries)

log(`scopeguard bench${settings.quick ? ' (quick)' : ''}: ${settings.algorithms.join(', ')}; ${settings.rounds} round(s) × ${settings.duration} s, ` +
  `${settings.connections} connections; ` +
  (cpus.pinned ? `servers on CPU ${cpus.serverCpu}, load generator on CPU ${cpus.loadCpu}` : `not pinned (${cpus.note})`))
log(`distinct-token pool: ${poolSize} tokens; scopeguard's verified-token cache holds ${cacheEntries} by default` +
  (poolSize <= cacheEntries ? ' — the pool fits in it, so distinct-token figures are cache hits' : ', so every distinct-token request verifies a signature'))

const fixtures: IssuerFixture[] = []
try {
  for (const algorithm of settings.algorithms) {
    const started = Date.now()
    fixtures.push(await createIssuerFixture(algorithm, poolSize))
    log(`minted ${poolSize} ${algorithm} tokens in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  // Pinned only now: minting above may use both CPUs, the measurements must not.
  if (cpus.pinned) pinSelf(cpus.loadCpu)

  log('\nHTTP (autocannon)')
  const http = await runHttpBench(fixtures, settings, cpus, log)

  log('\nmicrobenchmark (no HTTP)')
  const micro = await runMicroBench(
    {
      suites: fixtures.map((fixture) => ({
        algorithm: fixture.algorithm,
        issuer: fixture.issuer.url,
        audience: AUDIENCE,
        publicJwk: fixture.issuer.signingKey.publicJwk,
        tokens: [fixture.reused, ...fixture.pool],
      })),
      rounds: settings.rounds,
      seconds: settings.microSeconds,
      warmup: settings.microSeconds / 2,
    },
    cpus,
  )

  log('\nmemory (scopeguard Express server, ES256)')
  const memoryFixture = fixtures.find((fixture) => fixture.algorithm === 'ES256') ?? (await createIssuerFixture('ES256', 0))
  if (!fixtures.includes(memoryFixture)) fixtures.push(memoryFixture)
  const memory = await runMemoryBench(memoryFixture, settings.memoryTokens, settings.connections, cpus, log)

  const ratios = computeRatios(http, micro, settings.algorithms)
  log(`\nHTTP medians (${settings.rounds} × ${settings.duration} s, ${settings.connections} connections)`)
  log(httpTable(http.cells))
  if (http.pairs.length > 0) {
    log(`\nconcurrent pairs (medians of ${settings.rounds} × ${settings.duration} s, ${settings.connections / 2} connections each)`)
    log(pairTable(http.pairs))
  }
  log('\nmicrobenchmark medians')
  log(microTable(micro))
  log('\nmemory')
  log(memoryLines(memory))
  log('\nratios: scopeguard ÷ other (req/s above 1 and p99 below 1 mean scopeguard is faster)')
  log('alone: req/s with the servers loaded one after the other; together: loaded together on one CPU (the control row is that method\'s own error; against the floor and the peers it has read well above alone: take the lower)')
  log(ratioTable(ratios, settings.algorithms))
  if (ratios.some((ratio) => ratio.loaderBound === true)) {
    log('* the load generator ran at its CPU limit in at least one of the two cells: that server was not saturated, so the true gap is larger than shown')
  }

  await writeJson(RESULTS, {
    meta: {
      date: new Date(began).toISOString(),
      seconds: (Date.now() - began) / 1000,
      node: process.version,
      os: `${process.platform} ${release()}`,
      cpu: listCpus()[0]?.model,
      cpus: listCpus().length,
      loadAverage: { before: loadBefore, after: loadavg() },
      ...source,
      measured: 'dist (built packages, no @scopeguard/source condition)',
      versions: Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(name)])),
    },
    settings: { ...settings, poolSize, tokenCacheEntries: cacheEntries },
    cpus,
    http: http.cells,
    pairs: http.pairs,
    micro,
    memory,
    ratios,
  })
  log(`\nwritten ${RESULTS} in ${((Date.now() - began) / 1000).toFixed(0)} s`)
} finally {
  await Promise.all(fixtures.map((fixture) => fixture.issuer.close()))
}

/** The commit measured, and whether the packages had uncommitted changes (measured too, being built). */
function gitState(): { commit?: string; packagesDirty?: boolean } {
  const packages = fileURLToPath(new URL('../../packages', import.meta.url))
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: packages, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  try {
    return { commit: git('rev-parse', 'HEAD'), packagesDirty: git('status', '--porcelain', '--', '.') !== '' }
  } catch {
    return {}
  }
}

function packageVersion(name: string): string | undefined {
  try {
    const path = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url))
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version
  } catch {
    return undefined
  }
}
