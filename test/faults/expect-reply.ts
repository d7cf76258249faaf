import { parseChallenge } from '@scopeguard/testing'
import { expect } from 'vitest'
import type { Reply } from './app-client.js'

/** The scope every test token carries, and the route that requires it. */
// Valid for 30 days: these tests move the clock option (which every time check follows)
// days ahead, and a token must outlive the outage it is sent through.
export const READ = { scope: 'read:appointments', expiresIn: 30 * 86_400 } as const

/** The token was verified and the route ran. */
export function expectOk(reply: Reply): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  expect(reply.body).toEqual({ sub: 'user-1', scopes: ['read:appointments'] })
}

/** RFC 6750 §3.1: the client's token is at fault; it must get a new one. */
export function expectInvalidToken(reply: Reply, description = 'The access token signing key is unknown'): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(401)
  const challenge = parseChallenge(reply.headers['www-authenticate'])
  expect(challenge.scheme).toBe('Bearer')
  expect(challenge.params.error).toBe('invalid_token')
  expect(challenge.params.error_description).toBe(description)
  expect(reply.headers['retry-after']).toBeUndefined()
}

/**
 * The issuer failed, not the client: the configured status with `Retry-After`, never a
 * challenge (a client must not drop a good token), never a hint of the upstream's address
 * or error text.
 */
export function expectUnavailable(reply: Reply, { status = 503, retryAfter = 10 }: { status?: number; retryAfter?: number } = {}): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  expect(reply.headers['retry-after']).toBe(String(retryAfter))
  expect(reply.headers['www-authenticate']).toBeUndefined()
  expect(reply.headers['cache-control']).toBe('no-store')
  expect(reply.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The token signing keys are temporarily unavailable' })
}
