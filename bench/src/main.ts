// `pnpm bench`: req/s against bare servers and the peers, the memory flood, the verification
// micro-benchmark; writes the `bench` section of bench/RESULTS.md.
import { canPin, pin } from './child.js'
import { createIssuerFixture, poolSizeFor, type IssuerFixture } from './fixtures.js'
import { MEDIAN_TABLE, medianTable, RATIO_TABLE, ratioTable, rowOrder, runHttp, type HttpCell } from './http.js'
import { memoryReport, runMemory } from './memory.js'
import { microTable, runMicro } from './micro.js'
import { provenance, RESULTS_FILE, writeSection } from './results.js'
import { readSettings } from './settings.js'
import { selectVariants } from './variants.js'

const began = Date.now()
const log = (line: string): void => console.log(`[${String(Math.round((Date.now() - began) / 1000)).padStart(4)} s] ${line}`)
const settings = readSettings()
const variants = selectVariants(settings.variants, (variant) => variant.role !== 'passthrough')
const poolSize = poolSizeFor(settings.poolSize)
const pinned = canPin()
const header = provenance('pnpm bench')
const how = `${settings.rounds} round(s) × ${settings.duration} s per sample (${settings.leadIn} s lead-in), ${settings.connections} connections; ` +
  `${pinned ? 'servers pinned to CPU 0, load generator and micro-benchmark to CPU 1' : 'not pinned (needs taskset and two CPUs)'}; distinct-token pool ${poolSize}`
log(how)

const fixtures: IssuerFixture[] = []
try {
  for (const algorithm of settings.algorithms) {
    fixtures.push(await createIssuerFixture(algorithm, poolSize))
    log(`minted ${poolSize} ${algorithm} tokens`)
  }
  // Pinned only now: minting may use every CPU, the measurements must not.
  if (pinned) pin(process.pid, 1)

  const cells: HttpCell[] = []
  for (const fixture of fixtures) {
    log(`HTTP, ${fixture.algorithm}`)
    cells.push(...(await runHttp(fixture, variants, settings, pinned, log)))
  }
  log('memory flood')
  const memoryFixture = fixtures.find((fixture) => fixture.algorithm === 'ES256') ?? (fixtures[0] as IssuerFixture)
  const memory = await runMemory(memoryFixture, settings.memoryTokens, settings.connections, pinned, log)
  log('micro-benchmark')
  const micro = await runMicro(fixtures, settings.rounds, settings.microTime, log)

  const section = [
    '## Requests per second',
    '',
    `${header}. ${how}.`,
    '',
    'Ratios above 1: scopeguard serves more requests per second. `reused`: one token on every request (what a verified-token cache can serve);',
    '`distinct`: a pool of tokens larger than scopeguard\'s cache, so every request verifies a signature.',
    '',
    ratioTable(cells),
    '',
    medianTable(cells),
    '',
    '## Memory flood',
    '',
    memoryReport(memory),
    '',
    '## Verification micro-benchmark',
    '',
    `tinybench, ${settings.rounds} round(s) × ${settings.microTime} ms per task, local keys, no HTTP.`,
    '',
    microTable(micro),
  ].join('\n')
  // Servers not loaded this time (BENCH_VARIANTS) keep their req/s rows, and their run's provenance line.
  writeSection('bench', section, RESULTS_FILE, [RATIO_TABLE, MEDIAN_TABLE], rowOrder())
  console.log(`\n${section}\n`)
  log(`written to ${RESULTS_FILE}`)
} finally {
  await Promise.all(fixtures.map((fixture) => fixture.issuer.close()))
}
