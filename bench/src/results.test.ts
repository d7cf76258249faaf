import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ratioTable, type HttpCell } from './http.js'
import { median, mergeRows, pairedRatio, replaceSection, RUN_COLUMN, sectionOf, writeSection } from './results.js'
import { VARIANTS, selectVariants, type Variant } from './variants.js'

const variant = (id: string): Variant => VARIANTS.find((v) => v.id === id) as Variant

describe('pairedRatio', () => {
  it('divides round by round, then takes the median and range of the ratios', () => {
    // A slow second round halves both sides: the ratio does not move.
    expect(pairedRatio([900, 450, 1000], [1000, 500, 1000])).toEqual({ median: 0.9, min: 0.9, max: 1 })
    expect(median([3, 1, 2, 10])).toBe(2.5)
  })

  it('refuses sides measured in different rounds', () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow(/same rounds/)
  })
})

describe('ratioTable', () => {
  const cell = (id: string, samples: number[], loaderCpu = 0.5): HttpCell =>
    ({ algorithm: 'ES256', mode: 'distinct', variant: variant(id), samples, loaderCpu: samples.map(() => loaderCpu) })

  it('divides each form of scopeguard by every other server of its framework only', () => {
    const table = ratioTable([
      cell('express-bare', [1000, 800]),
      cell('express-scopeguard', [900, 720]),
      cell('express-auth0', [300, 240]),
      cell('koa-bare', [2000, 2000], 0.95),
      cell('koa-scopeguard', [1000, 1200]),
      cell('node-bare', [1000, 1000]),
      cell('node-scopeguard', [800, 900]),
    ])
    const rows = table.split('\n')
    expect(rows[0]).toBe('| req/s ratio, median (range over rounds) | ES256 distinct |')
    expect(rows).toContain('| Express, scopeguard auth() + requireScopes() ÷ bare | 0.90 (0.90–0.90) |')
    expect(rows).toContain('| Express, scopeguard auth() + requireScopes() ÷ express-oauth2-jwt-bearer | 3.00 (3.00–3.00) |')
    // The load generator at its limit on one side is marked.
    expect(rows).toContain('| Koa, scopeguard auth() + requireScopes() ÷ bare | 0.55* (0.50–0.60) |')
    expect(rows.filter((row) => row.includes('Koa') && row.includes('express'))).toEqual([])
    expect(rows).toContain('| node:http, scopeguard authenticate.protect() ÷ bare | 0.85 (0.80–0.90) |')
  })
})

describe('RESULTS.md sections', () => {
  it('replaces only its own section and keeps the rest, hand-written lines included', () => {
    const text = 'head\n<!-- a:start -->\nold a\n<!-- a:end -->\nkept\n<!-- b:start -->\nold b\n<!-- b:end -->\n'
    expect(replaceSection(text, 'a', 'new a')).toBe('head\n<!-- a:start -->\nnew a\n<!-- a:end -->\nkept\n<!-- b:start -->\nold b\n<!-- b:end -->\n')
    expect(replaceSection('head\n', 'c', 'c body')).toBe('head\n\n<!-- c:start -->\nc body\n<!-- c:end -->\n')
  })

  it('creates the file with both sections, then updates each without erasing the other', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-')), 'RESULTS.md')
    writeSection('bench', 'req/s table', file)
    writeSection('instructions', 'count table', file)
    writeFileSync(file, readFileSync(file, 'utf8').replace('<!-- bench:start -->', 'Before the refactor: 1.23\n\n<!-- bench:start -->'))
    writeSection('bench', 'second req/s table', file)
    const text = readFileSync(file, 'utf8')
    expect(text).toMatch(/^# Benchmark results\n/)
    expect(text).toContain('count table')
    expect(text).toContain('Before the refactor: 1.23')
    expect(text).toContain('second req/s table')
    expect(text).not.toContain('\nreq/s table')
  })
})

describe('mergeRows', () => {
  it('puts rows in the order given, the rows it does not name after them', () => {
    const earlier = section('2026-01-01 10:00', '| server | n |\n| --- | ---: |\n| b | 2 |\n| z | 9 |')
    const next = section('2026-01-02 10:00', '| server | n |\n| --- | ---: |\n| a | 1 |\n| c | 3 |')
    const merged = mergeRows(earlier, next, ['server'], ['a', 'b', 'c'])
    expect(merged.split('\n').filter((line) => /^\| [abcz] \|/.test(line)).map((line) => line[2])).toEqual(['a', 'b', 'c', 'z'])
  })

  const section = (stamp: string, table: string): string => `## Counts\n\n\`cmd\`, ${stamp} UTC, Node x. 8 windows.\n\n${table}`
  const earlier = section('2026-01-01 10:00', '| server | count | ÷ bare |\n| --- | ---: | ---: |\n| a-bare | 100 | 1.000 |\n| a-ours | 110 | 1.100 |\n| b-bare | 50 | 1.000 |')

  it('keeps the rows of servers not measured again, with the provenance line of their run', () => {
    const next = section('2026-01-02 10:00', '| server | count | lowest | ÷ bare |\n| --- | ---: | ---: | ---: |\n| b-bare | 52 | 51 | 1.000 |\n| c-bare | 70 | 69 | 1.000 |')
    const merged = mergeRows(earlier, next, ['server'])
    expect(merged.split('\n')).toEqual([
      '## Counts',
      '',
      '`cmd`, 2026-01-02 10:00 UTC, Node x. 8 windows.',
      '',
      '`cmd`, 2026-01-01 10:00 UTC, Node x. 8 windows.',
      '',
      `| server | count | lowest | ÷ bare | ${RUN_COLUMN} |`,
      '| --- | ---: | ---: | ---: | ---: |',
      '| a-bare | 100 | — | 1.000 | 2026-01-01 10:00 |',
      '| a-ours | 110 | — | 1.100 | 2026-01-01 10:00 |',
      '| b-bare | 52 | 51 | 1.000 | 2026-01-02 10:00 |',
      '| c-bare | 70 | 69 | 1.000 | 2026-01-02 10:00 |',
    ])
    // Once every row of a run is measured again, its provenance line goes.
    const again = section('2026-01-03 10:00', '| server | count | ÷ bare |\n| --- | ---: | ---: |\n| a-bare | 1 | 1.000 |\n| a-ours | 2 | 2.000 |')
    const third = mergeRows(merged, again, ['server'])
    expect(third).not.toContain('2026-01-01')
    expect(third).toContain('`cmd`, 2026-01-02 10:00 UTC')
    // Columns only the earlier rows have come after the new run's own.
    expect(third).toContain(`| server | count | ÷ bare | lowest | ${RUN_COLUMN} |`)
    expect(third).toContain('| b-bare | 52 | 1.000 | 51 | 2026-01-02 10:00 |')
    expect(third).toContain('| a-ours | 2 | 2.000 | — | 2026-01-03 10:00 |')
  })

  it('leaves tables it is not asked to merge, and a first run, as they are but for the run column', () => {
    const next = section('2026-01-02 10:00', '| other | x |\n| --- | ---: |\n| r | 1 |')
    expect(mergeRows(earlier, next, ['server'])).toBe(next)
    expect(mergeRows('', section('2026-01-02 10:00', '| server | n |\n| --- | ---: |\n| a | 1 |'), ['server'])).toContain(`| a | 1 | 2026-01-02 10:00 |`)
  })

  it('merges through writeSection, keeping the other section and the text outside the markers', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-')), 'RESULTS.md')
    writeSection('instructions', earlier, file, ['server'])
    writeSection('bench', 'req/s table', file)
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nBy hand.\n`)
    writeSection('instructions', section('2026-01-02 10:00', '| server | count | ÷ bare |\n| --- | ---: | ---: |\n| c-bare | 70 | 1.000 |'), file, ['server'])
    const text = readFileSync(file, 'utf8')
    expect(sectionOf(text, 'instructions')).toContain('| a-ours | 110 | 1.100 | 2026-01-01 10:00 |')
    expect(sectionOf(text, 'instructions')).toContain('| c-bare | 70 | 1.000 | 2026-01-02 10:00 |')
    expect(sectionOf(text, 'bench')).toBe('req/s table')
    expect(text).toContain('By hand.')
  })
})

describe('selectVariants', () => {
  it('takes the named variants in table order, or the fallback, and rejects unknown names', () => {
    expect(selectVariants(['koa-bare', 'express-bare'], () => false).map((v) => v.id)).toEqual(['express-bare', 'koa-bare'])
    expect(selectVariants(undefined, (v) => v.role === 'peer').map((v) => v.id)).toEqual(['express-auth0', 'express-jwt', 'koa-jwt', 'fastify-jwt', 'hono-jwk'])
    expect(() => selectVariants(['express-nope'], () => true)).toThrow(/unknown variant "express-nope"/)
  })
})
