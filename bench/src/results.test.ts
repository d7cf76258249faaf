import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ratioTable, type HttpCell } from './http.js'
import { median, pairedRatio, replaceSection, writeSection } from './results.js'
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
    ])
    const rows = table.split('\n')
    expect(rows[0]).toBe('| req/s ratio, median (range over rounds) | ES256 distinct |')
    expect(rows).toContain('| Express, scopeguard auth() + requireScopes() ÷ bare | 0.90 (0.90–0.90) |')
    expect(rows).toContain('| Express, scopeguard auth() + requireScopes() ÷ express-oauth2-jwt-bearer | 3.00 (3.00–3.00) |')
    // The load generator at its limit on one side is marked.
    expect(rows).toContain('| Koa, scopeguard auth() + requireScopes() ÷ bare | 0.55* (0.50–0.60) |')
    expect(rows.filter((row) => row.includes('Koa') && row.includes('express'))).toEqual([])
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

describe('selectVariants', () => {
  it('takes the named variants in table order, or the fallback, and rejects unknown names', () => {
    expect(selectVariants(['koa-bare', 'express-bare'], () => false).map((v) => v.id)).toEqual(['express-bare', 'koa-bare'])
    expect(selectVariants(undefined, (v) => v.role === 'peer').map((v) => v.id)).toEqual(['express-auth0', 'express-jwt', 'koa-jwt'])
    expect(() => selectVariants(['express-nope'], () => true)).toThrow(/unknown variant "express-nope"/)
  })
})
