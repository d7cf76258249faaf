// `pnpm --filter @scopeguard/bench run profile`: a CPU profile of one server variant under
// load (default: scopeguard on Express, RS256, one reused token), written to
// bench/results/profiles/ and summarised: where the main thread's time goes per request.
//
// BENCH_PROFILE_VARIANT (default express-scopeguard), BENCH_PROFILE_MODE (reused|distinct),
// BENCH_ALGORITHMS (first one is used), BENCH_DURATION (default 10 s here).
import { mkdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { startChild } from './child.js'
import { pinSelf, planCpus } from './cpu.js'
import { AUDIENCE, REQUIRED_SCOPE, createIssuerFixture, defaultTokenCacheEntries, poolSizeFor } from './fixtures.js'
import { rotate } from './http-bench.js'
import { runLoad } from './load.js'
import { formatSummary, summariseProfile, type CpuProfile } from './profile-summary.js'
import { ROUTE, SERVER_SETTINGS_ENV, type ServerSettings } from './servers/serve.js'
import { readSettings } from './settings.js'
import { VARIANTS, type TokenMode } from './variants.js'

const settings = readSettings({ BENCH_DURATION: '10', ...process.env })
const variant = VARIANTS.find((v) => v.id === (process.env.BENCH_PROFILE_VARIANT ?? 'express-scopeguard'))
if (variant === undefined) throw new Error(`BENCH_PROFILE_VARIANT must be one of ${VARIANTS.map((v) => v.id).join(', ')}`)
const mode = (process.env.BENCH_PROFILE_MODE ?? 'reused') as TokenMode
const algorithm = settings.algorithms[0] ?? 'RS256'
const cpus = planCpus()
const directory = fileURLToPath(new URL('../results/profiles/', import.meta.url))
await mkdir(directory, { recursive: true })
const path = `${directory}${variant.id}-${algorithm}-${mode}.cpuprofile`

const fixture = await createIssuerFixture(algorithm, mode === 'distinct' ? poolSizeFor(settings.poolSize, defaultTokenCacheEntries()) : 0)
if (cpus.pinned) pinSelf(cpus.loadCpu)
const serverSettings: ServerSettings = { issuer: fixture.issuer.url, jwksUri: fixture.issuer.jwksUri, audience: AUDIENCE, scope: REQUIRED_SCOPE, algorithm }
const child = await startChild(variant.module, { cpus, env: { [SERVER_SETTINGS_ENV]: JSON.stringify(serverSettings) } })
try {
  const url = `http://127.0.0.1:${child.port}${ROUTE}`
  const token = mode === 'reused' ? fixture.reused : rotate(fixture.pool)
  await runLoad({ url, connections: settings.connections, seconds: Math.max(2, settings.warmup), token })
  await child.request({ type: 'profile-start', interval: 100 })
  const sample = await runLoad({ url, connections: settings.connections, seconds: settings.duration, token })
  await child.request({ type: 'profile-stop', path })
  console.log(`${variant.id} ${algorithm} ${mode}: ${sample.requestsPerSecond.toFixed(0)} req/s, p50 ${sample.p50.toFixed(2)} ms, p99 ${sample.p99.toFixed(2)} ms, ${sample.failed} failed`)
  console.log(`profile: ${path}\n`)
  console.log(formatSummary(summariseProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile), sample.ok))
  console.log(
    '\n(idle) is main-thread time waiting for I/O. With the server pinned to one saturated CPU it is\n' +
      'mostly time the libuv thread pool held that CPU: the peers (and the jose floor) verify\n' +
      'through WebCrypto, whose signature checks run on the pool, outside this (main-thread)\n' +
      'profile. scopeguard verifies on the main thread (node:crypto), so its checks show as `run`.',
  )
} finally {
  await child.stop()
  await fixture.issuer.close()
}
