// The comparison itself: scopeguard and jose on the same token, keys and options.

import { isDeepStrictEqual } from 'node:util'
import type { KeyPool } from './keys.js'
import { strictnessOf } from './strictness.js'
import { viewToken } from './tokens.js'
import { joseVerdict, scopeguardVerdict, type OracleConfig, type Verdict } from './verifiers.js'

/** How often each outcome came up in a property, to show it was not vacuous. */
export interface Tally {
  bothAccept: number
  bothReject: number
  /** A strictness entry applied and jose accepted: scopeguard's refusal was exercised. */
  strictnessExercised: number
  /** Runs per strictness entry that applied (whatever jose said). */
  readonly entries: Record<string, number>
  /** scopeguard's failure codes when both rejected. */
  readonly rejections: Record<string, number>
}

export const newTally = (): Tally => ({ bothAccept: 0, bothReject: 0, strictnessExercised: 0, entries: {}, rejections: {} })

export type Outcome = 'both-accept' | 'both-reject' | 'strictness'

function show(verdict: Verdict): string {
  return verdict.ok ? `accepted ${JSON.stringify(verdict.claims)}` : `rejected (${verdict.reason})`
}

function describe(token: string, config: OracleConfig, nowMs: number, scopeguard: Verdict, jose: Verdict): string {
  return [
    `token: ${JSON.stringify(token)}`,
    `config: ${JSON.stringify(config, (_key, value: unknown) => (value instanceof Uint8Array ? `<${value.byteLength} bytes>` : value))}`,
    `now: ${nowMs} ms (${Math.floor(nowMs / 1000)} s)`,
    `scopeguard: ${show(scopeguard)}`,
    `jose:       ${show(jose)}`,
  ].join('\n  ')
}

/**
 * Fails unless the verdicts agree (accept vs reject; on accept, the same header and claims,
 * member order included), or a documented strictness entry applies and scopeguard rejects.
 */
export function judge(token: string, config: OracleConfig, nowMs: number, scopeguard: Verdict, jose: Verdict, tally?: Tally): Outcome {
  const entries = strictnessOf(viewToken(token), config)
  if (entries.length > 0) {
    for (const id of entries) if (tally) tally.entries[id] = (tally.entries[id] ?? 0) + 1
    if (scopeguard.ok) {
      throw new Error(`scopeguard accepted a token its documented strictness (${entries.join(', ')}) refuses:\n  ${describe(token, config, nowMs, scopeguard, jose)}`)
    }
    if (jose.ok && tally) tally.strictnessExercised++
    return 'strictness'
  }
  if (scopeguard.ok !== jose.ok) {
    throw new Error(`disagreement (no strictness entry applies):\n  ${describe(token, config, nowMs, scopeguard, jose)}`)
  }
  if (scopeguard.ok && jose.ok) {
    const same = isDeepStrictEqual({ ...scopeguard.claims }, { ...jose.claims }) && JSON.stringify(scopeguard.claims) === JSON.stringify(jose.claims) &&
      isDeepStrictEqual({ ...scopeguard.header }, { ...jose.header }) && JSON.stringify(scopeguard.header) === JSON.stringify(jose.header)
    if (!same) throw new Error(`both accepted, with different results:\n  ${describe(token, config, nowMs, scopeguard, jose)}\n  headers: ${JSON.stringify(scopeguard.header)} / ${JSON.stringify(jose.header)}`)
    if (tally) tally.bothAccept++
    return 'both-accept'
  }
  if (tally && !scopeguard.ok) {
    tally.bothReject++
    const code = scopeguard.reason.startsWith('options refused') ? 'options refused' : scopeguard.reason
    tally.rejections[code] = (tally.rejections[code] ?? 0) + 1
  }
  return 'both-reject'
}

/** Runs both verifiers on `token` at the frozen time `nowMs` (Date.now() must already return it) and judges. */
export async function compare(pool: KeyPool, config: OracleConfig, token: string, nowMs: number, tally?: Tally): Promise<Outcome> {
  if (Date.now() !== nowMs) throw new Error('the oracle needs Date.now() frozen at nowMs')
  const [scopeguard, jose] = await Promise.all([scopeguardVerdict(pool, config, token), joseVerdict(pool, config, token, nowMs)])
  return judge(token, config, nowMs, scopeguard, jose, tally)
}
