import { parseChallenge, type ParsedChallenge } from '@scopeguard/testing'
import type { Response } from 'supertest'
import { expect } from 'vitest'

/**
 * Asserts an RFC 6750 §3 failure: status, a well-formed single `Bearer` challenge with the
 * expected error code (or none), and the JSON body. Returns the parsed challenge.
 */
export function expectChallenge(res: Response, status: number, error: string | undefined): ParsedChallenge {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  const challenge = parseChallenge(res.headers['www-authenticate'])
  expect(challenge.scheme).toBe('Bearer')
  expect(challenge.params.error).toBe(error)
  if (error === undefined) expect(challenge.params.error_description).toBeUndefined()
  expect(res.body.error).toBe(error ?? 'unauthorized')
  expect(typeof res.body.error_description).toBe('string')
  return challenge
}
