import type { KeySourceEvent } from '@scopeguard/core'
import { expect, vi } from 'vitest'

/** Collects what the key source reports through `onEvent`. */
export interface EventLog {
  readonly onEvent: (event: KeySourceEvent) => void
  readonly events: KeySourceEvent[]
  /** The event types so far, in order. */
  types(): string[]
  count(type: KeySourceEvent['type']): number
  /**
   * Waits (3 s at most) until `count` events of `type` have arrived: background refreshes
   * finish after the response that started them, and the clock may only move once they have.
   */
  until(type: KeySourceEvent['type'], count: number): Promise<void>
}

export function eventLog(): EventLog {
  const events: KeySourceEvent[] = []
  const log: EventLog = {
    onEvent: (event) => events.push(event),
    events,
    types: () => events.map((event) => event.type),
    count: (type) => events.filter((event) => event.type === type).length,
    until: (type, count) =>
      vi.waitFor(() => expect(log.count(type), log.types().join(', ')).toBe(count), { timeout: 3000, interval: 5 }),
  }
  return log
}
