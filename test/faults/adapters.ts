import { ADAPTERS, type AdapterUnderTest } from '../support/adapters.js'

/**
 * Cases that wait out a real timeout or a real delay run against the current major of each
 * framework only (Express 5, Koa 3): what they test lives in @scopeguard/core, and the way
 * each adapter writes a 503 is covered by the fast cases, which run against all of ADAPTERS.
 */
export const SLOW_CASE_ADAPTERS: readonly AdapterUnderTest[] = ADAPTERS.filter((adapter) => ['express 5', 'koa 3'].includes(adapter.name))

export function runsSlowCases(adapter: AdapterUnderTest): boolean {
  return SLOW_CASE_ADAPTERS.includes(adapter)
}
