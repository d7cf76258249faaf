import { platform } from 'node:os'
import { describe, expect, it } from 'vitest'
import { processCpuSeconds } from './process-cpu.js'

describe.runIf(platform() === 'linux')('processCpuSeconds', () => {
  it('reads a running process\'s CPU time, which grows as it works', () => {
    const before = processCpuSeconds(process.pid)
    const end = performance.now() + 50
    let spins = 0
    while (performance.now() < end) spins++
    const after = processCpuSeconds(process.pid)
    expect(spins).toBeGreaterThan(0)
    expect(before).toBeGreaterThan(0)
    expect(after).toBeGreaterThan(before as number)
  })

  it('is undefined for a process that does not exist', () => {
    // Above Linux's largest possible pid (2^22).
    expect(processCpuSeconds(4_194_305)).toBeUndefined()
    expect(processCpuSeconds(undefined)).toBeUndefined()
  })
})
