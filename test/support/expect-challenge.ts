import { parseChallenge, type ParsedChallenge } from '@scopeguard/testing'
import { expect } from 'vitest'

/**
 * Asserts an RFC 6750 §3 failure: status, a well-formed single `Bearer` challenge with the
 * expected error code (or none), and the JSON body. Returns the parsed challenge.
 */
/** The response fields read, as supertest and {@link rawRequest} provide them. */
export interface ResponseLike {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
}

export function expectChallenge(res: ResponseLike, status: number, error: string | undefined): ParsedChallenge {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  const challenge = parseChallenge(res.headers['www-authenticate'] as string | undefined)
  expect(challenge.scheme).toBe('Bearer')
  expect(challenge.params.error).toBe(error)
  if (error === undefined) expect(challenge.params.error_description).toBeUndefined()
  expect(res.body.error).toBe(error ?? 'unauthorized')
  expect(typeof res.body.error_description).toBe('string')
  return challenge
}
