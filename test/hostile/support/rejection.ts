import { AUTH_ERRORS, type AuthErrorCode, type BearerErrorCode } from '@scopeguard/core'
import { parseChallenge } from '@scopeguard/testing'
import { expect } from 'vitest'
import type { WireResponse } from './wire.js'

/** The answer a hostile request must get. */
export type Rejection =
  /** Answered by scopeguard: status, RFC 6750 §3.1 error code (none for "no credentials") and the stable failure code. */
  | { readonly by: 'scopeguard'; readonly status: 400 | 401 | 403; readonly error: BearerErrorCode | undefined; readonly code: AuthErrorCode }
  /** Refused by Node's HTTP parser before any middleware runs (RFC 9112 §5, header size limits). */
  | { readonly by: 'node'; readonly status: 400 | 431 }
  /** Any one of these; for inputs whose handling legitimately differs by Node version or body parser. */
  | { readonly by: 'one of'; readonly options: readonly Rejection[] }

/** scopeguard answers `status` with RFC 6750 `error`, for the reason `code`. */
export function rejects(status: 400 | 401 | 403, error: BearerErrorCode | undefined, code: AuthErrorCode): Rejection {
  return { by: 'scopeguard', status, error, code }
}

/** Node's HTTP layer answers before the app sees the request. */
export function nodeRejects(status: 400 | 431): Rejection {
  return { by: 'node', status }
}

/**
 * Node answers 400 itself (RFC 9110 §5.5 leaves obs-text and some bytes to the server, and
 * llhttp's strictness changes across versions), or lets the bytes through and scopeguard
 * answers as given.
 */
export function nodeOr(scopeguard: Rejection): Rejection {
  return oneOf(nodeRejects(400), scopeguard)
}

/** Any one of the given answers. */
export function oneOf(...options: Rejection[]): Rejection {
  return { by: 'one of', options }
}

/**
 * Every rejection there is: Node's 400 and 431, and each client-caused failure scopeguard
 * knows (its 503 is the issuer's fault, never the client's). For inputs no table can predict.
 */
export const ANY_REJECTION: Rejection = oneOf(
  nodeRejects(400),
  nodeRejects(431),
  ...Object.entries(AUTH_ERRORS)
    .filter(([, kind]) => kind.status !== 503)
    .map(([code, kind]) => rejects(kind.status as 400 | 401 | 403, kind.error, code as AuthErrorCode)),
)

// RFC 6750 §3: error, error_description and scope "MUST NOT include characters outside the
// set %x20-21 / %x23-5B / %x5D-7E".
const RFC6750_VALUE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/
// The smallest attacker string worth searching for; shorter ones occur by chance.
const MIN_NEEDLE = 6

/** What else the test knows about the app that answered. */
export interface AnswerContext {
  /** The configured realm, if any (default "api"). */
  readonly realm?: string
  /** The `scope` attribute a 403 must carry: the route's requirement, never the token's scopes. */
  readonly scope?: string
}

/**
 * Asserts the invariant of issue 5 on one answer: the expected rejection, a single well-formed
 * RFC 6750 challenge built only from fixed text, no handler run (`req.auth` unset, no `auth`
 * or `sub` in the body), and none of `attackerStrings` anywhere in the response.
 */
export function expectRejected(res: WireResponse, expected: Rejection, attackerStrings: readonly string[], context: AnswerContext = {}): void {
  const where = `${res.status} ${String(res.headers['www-authenticate'] ?? '')} ${res.text.slice(0, 300)}`
  expect(res.status, where).not.toBe(500)
  // A 403 comes from requireScopes(): auth() verified the token and set req.auth, as it
  // should; the route handler still never runs (the body checks below).
  if (res.status !== 403) expect(res.reqAuth, 'req.auth must stay unset').toBeUndefined()
  expect(res.body).not.toHaveProperty('auth')
  expect(res.body).not.toHaveProperty('sub')
  expectNoEcho(res, attackerStrings)
  expectAnswer(res, expected, context, where)
}

function expectAnswer(res: WireResponse, expected: Rejection, context: AnswerContext, where: string): void {
  if (expected.by === 'one of') {
    const failures: string[] = []
    for (const option of expected.options) {
      try {
        expectAnswer(res, option, context, where)
        return
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error))
      }
    }
    throw new Error(`none of the accepted answers matched:\n${failures.join('\n')}`)
  }
  if (expected.by === 'node') {
    expect(res.status, where).toBe(expected.status)
    expect(isNodeAnswer(res), `expected Node's own ${expected.status}: ${where}`).toBe(true)
    return
  }

  const kind = AUTH_ERRORS[expected.code]
  // The table states status and error code outright; they must agree with the failure code.
  expect([kind.status, kind.error], `table row for ${expected.code}`).toEqual([expected.status, expected.error])
  expect(res.status, where).toBe(expected.status)

  const lines = res.rawHeaders.filter(([name]) => name.toLowerCase() === 'www-authenticate')
  expect(lines, 'exactly one WWW-Authenticate line').toHaveLength(1)
  const value = (lines[0] as readonly [string, string])[1]
  const challenge = parseChallenge(value)
  expect(challenge.scheme).toBe('Bearer')
  const expectedParams: Record<string, string> = {}
  // RFC 6750 §3: at least one auth-param; the realm defaults to "api".
  expectedParams.realm = context.realm ?? 'api'
  if (expected.error !== undefined) {
    expectedParams.error = expected.error
    expectedParams.error_description = kind.description
  }
  if (expected.status === 403 && context.scope !== undefined) expectedParams.scope = context.scope
  expect({ ...challenge.params }, where).toEqual(expectedParams)
  for (const name of ['error', 'error_description', 'scope']) {
    const raw = new RegExp(`${name}="([^"]*)"`).exec(value)?.[1]
    if (raw !== undefined) expect(raw, `${name} outside the RFC 6750 §3 character set`).toMatch(RFC6750_VALUE)
  }

  expect(res.body, where).toEqual({ error: expected.error ?? 'unauthorized', error_description: kind.description })
  expect(res.headers['cache-control']).toBe('no-store')
}

/** Node's parser answers with a bare status line: no challenge, no body. */
function isNodeAnswer(res: WireResponse): boolean {
  return res.headers['www-authenticate'] === undefined && res.text === ''
}

/** None of the attacker's strings (of a useful length) appear in the status line, any header or the body. */
function expectNoEcho(res: WireResponse, attackerStrings: readonly string[]): void {
  const answer = `${res.wire}\n${res.text}`
  for (const needle of attackerStrings) {
    if (needle.length < MIN_NEEDLE) continue
    expect(answer.includes(needle), `the answer echoes ${JSON.stringify(needle.slice(0, 80))}`).toBe(false)
  }
}

/** A token and its longer parts: what an echo would most likely show. */
export function tokenStrings(token: string): string[] {
  return [token, ...token.split('.').filter((part) => part.length >= 12)]
}
