import { afterEach } from 'vitest'

interface Closable {
  close(): Promise<void>
}

/**
 * Returns `track(thing)`, which closes `thing` after the current test. Servers are closed
 * even when a test fails half-way, so a hanging endpoint never outlives its test.
 */
export function closeAfterEach(): <T extends Closable>(thing: T) => T {
  const open: Closable[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((thing) => thing.close()))
  })
  return (thing) => {
    open.push(thing)
    return thing
  }
}
