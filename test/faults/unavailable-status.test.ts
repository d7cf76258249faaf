import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer } from '@scopeguard/testing'
import { describe, expect, it } from 'vitest'
import { ADAPTERS, type AppErrorShape } from '../support/adapters.js'
import { serveApp } from './app-client.js'
import { closeAfterEach } from './cleanup.js'
import { expectUnavailable, READ } from './expect-reply.js'

// When the keys cannot be obtained the answer is a server-side status with Retry-After: 503
// unless unavailableStatus says otherwise, never 401 (the client's token may well be valid)
// and never a 500 from a crash.

const track = closeAfterEach()

const STATUSES: readonly { options: Partial<AuthOptions>; status: number; retryAfter: number }[] = [
  { options: {}, status: 503, retryAfter: 10 },
  { options: { unavailableStatus: 503, retryAfter: 0 }, status: 503, retryAfter: 0 },
  { options: { unavailableStatus: 500, retryAfter: 30 }, status: 500, retryAfter: 30 },
  { options: { unavailableStatus: 502 }, status: 502, retryAfter: 10 },
  { options: { unavailableStatus: 504, retryAfter: 86_400 }, status: 504, retryAfter: 86_400 },
]

describe.each(ADAPTERS)('$name: status when the keys are unavailable', (adapter) => {
  it.each(STATUSES)('$options → $status with Retry-After: $retryAfter', async ({ options, status, retryAfter }) => {
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    issuer.fail('jwks', { status: 500 })
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, ...options })))
    expectUnavailable(await app.get(await issuer.token(READ)), { status, retryAfter })
  })

  it('handleErrors: false → the app\'s error handler gets the status and the Retry-After header', async () => {
    const issuer = track(await createFakeIssuer({ algorithm: 'ES256' }))
    issuer.fail('all', { status: 503 })
    const app = track(await serveApp(adapter.app({ issuer: issuer.url, audience: issuer.audience, handleErrors: false, unavailableStatus: 502, retryAfter: 5 })))
    const reply = await app.get(await issuer.token(READ))
    expect(reply.status).toBe(502)
    expect(reply.headers['retry-after']).toBe('5')
    expect(reply.headers['www-authenticate']).toBeUndefined()
    const body: AppErrorShape = { handledBy: 'app', status: 502, code: 'keys_unavailable', isHttpError: true }
    expect(reply.body).toEqual(body)
  })
})
