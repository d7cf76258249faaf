/** A clock the test moves by hand (the `clock` option), so caching and backoff need no sleeps. */
export interface FakeClock {
  readonly now: () => number
  advance(ms: number): void
}

export function fakeClock(start = Date.now()): FakeClock {
  let time = start
  return {
    now: () => time,
    advance: (ms) => {
      time += ms
    },
  }
}
