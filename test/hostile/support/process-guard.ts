import { afterAll, afterEach, beforeAll, expect } from 'vitest'

/**
 * Fails the test during which the process saw an unhandled rejection or an uncaught
 * exception. Vitest reports those too, but after the run and without saying which request
 * caused them; a hostile input that leaves a promise unhandled is a crash waiting for
 * `--unhandled-rejections=strict`, so it fails the case itself.
 */
export function failOnProcessErrors(): void {
  const seen: unknown[] = []
  const record = (error: unknown): void => {
    seen.push(error)
  }
  beforeAll(() => {
    process.on('unhandledRejection', record)
    process.on('uncaughtException', record)
  })
  afterEach(() => {
    const errors = seen.splice(0).map((error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)))
    expect(errors, 'unhandled rejections or uncaught exceptions during this test').toEqual([])
  })
  afterAll(() => {
    process.off('unhandledRejection', record)
    process.off('uncaughtException', record)
  })
}
