import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SecondUseAdmission } from './second-use-admission.js'

const token = () => `eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.${randomBytes(64).toString('base64url')}`

describe('SecondUseAdmission', () => {
  it('admits a token on its second sighting, then puts it back to "not seen"', () => {
    const admission = new SecondUseAdmission(100)
    const reused = token()
    expect(admission.admit(reused)).toBe(false)
    expect(admission.admit(reused)).toBe(true)
    expect(admission.admit(reused)).toBe(false)
  })

  it('never admits a token seen once, among many one-off tokens', () => {
    const admission = new SecondUseAdmission(10_000)
    let admitted = 0
    for (let i = 0; i < 100_000; i++) if (admission.admit(token())) admitted++
    // The stored 32-bit value is independent of the slot: a false admission is one in 2^32 per token.
    expect(admitted).toBe(0)
  })

  it('still admits a reused token while one-off tokens stream past, if its uses are close', () => {
    const admission = new SecondUseAdmission(10_000)
    let admitted = 0
    for (let i = 0; i < 1000; i++) {
      const reused = token()
      admission.admit(reused)
      for (let j = 0; j < 10; j++) admission.admit(token())
      if (admission.admit(reused)) admitted++
    }
    // 10 other tokens between two uses overwrite its slot with probability ~10 / 8192.
    expect(admitted).toBeGreaterThanOrEqual(990)
  })

  it('rarely admits a token that comes back only after more tokens than the cache holds', () => {
    const admission = new SecondUseAdmission(10_000)
    const pool = Array.from({ length: 20_000 }, token)
    for (const each of pool) admission.admit(each)
    let admitted = 0
    for (const each of pool) if (admission.admit(each)) admitted++
    // Its slot survives 20 000 other tokens in 8192 slots with probability e^-2.4 ≈ 9 %.
    expect(admitted / pool.length).toBeLessThan(0.15)
  })
})
