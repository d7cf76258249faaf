import { AUTH_ERRORS, type AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS, ROUTES } from '../support/adapters.js'
import { failOnProcessErrors } from './support/process-guard.js'
import { expectRejected, rejects, tokenStrings, type Rejection } from './support/rejection.js'
import { bearer, serverPool, type WireRequest } from './support/wire.js'

// Family 6: the WWW-Authenticate challenge itself. RFC 6750 §3: one Bearer challenge, realm
// at most once, and error, error_description and scope "MUST NOT include characters outside
// the set %x20-21 / %x23-5B / %x5D-7E". The realm is the application's, never the client's,
// but it is a quoted-string (RFC 9110 §5.6.4): quotes and backslashes must be escaped so a
// realm cannot close its own quotes and add parameters, and CR, LF or non-ASCII in it must
// be refused when auth() is built, before they could split a header.

failOnProcessErrors()

const API = 'https://api.example.com'
let issuer: FakeIssuer
const tokens = { valid: '', noScope: '', tampered: '' }
beforeAll(async () => {
  issuer = await createFakeIssuer()
  ;[tokens.valid, tokens.noScope, tokens.tampered] = await Promise.all([
    issuer.token({ scope: 'read:appointments' }),
    issuer.token({ scope: 'openid' }),
    issuer.bad.tampered({ scope: 'read:appointments' }),
  ])
})
afterAll(() => issuer.close())

// RFC 9110 §5.6.4 quoted-string: qdtext is HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text;
// '"' and '\' only as quoted-pair. Realms that try to break out of their quotes.
const ESCAPED_REALMS: readonly (readonly [what: string, realm: string])[] = [
  ['a quoted word', 'calendar "v2"'],
  ['a backslash', 'C:\\api'],
  ['an escaped quote, written out', 'a\\"b'],
  ['a lone quote', '"'],
  ['a lone backslash', '\\'],
  ['a trailing backslash (would escape the closing quote)', 'api\\'],
  ['a quote and a new error parameter', 'api", error="none'],
  ['a quote and a second realm', 'api", realm="evil'],
  ['a quote and a scope parameter', 'api", scope="admin'],
  ['a comma and a second challenge', 'api", Basic realm="evil'],
  ['the empty string', ''],
  ['only spaces', '   '],
  ['every printable ASCII character', Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('')],
]

// resolveOptions: "realm must be a string of printable ASCII characters".
const REFUSED_REALMS: readonly (readonly [what: string, realm: unknown])[] = [
  ['CR LF and a Set-Cookie header', 'api\r\nSet-Cookie: session=attacker'],
  ['a bare LF', 'api\nX-Injected: 1'],
  ['a bare CR', 'api\rX'],
  ['a NUL', 'api\u0000'],
  ['a tab', 'api\tv2'],
  ['DEL', 'api\u007F'],
  ['a non-ASCII letter', 'B\u00FCcher'],
  ['an emoji', 'api \u{1F510}'],
  ['a line separator (U+2028)', 'api\u2028x'],
  ['a zero-width space', 'api\u200B'],
  ['a number', 42],
  ['an object', { toString: () => 'api' }],
]

interface Probe {
  readonly name: string
  readonly request: () => WireRequest
  readonly expected: Rejection
  readonly scope?: string
}

// One request per kind of answer, each sent to an app with the realm under test.
const PROBES: readonly Probe[] = [
  { name: 'no credentials (401, no error code)', request: () => ({ path: '/me' }), expected: rejects(401, undefined, 'credentials_missing') },
  { name: 'a Bearer credential that is itself a quoted realm parameter (400)', request: () => ({ path: '/me', headers: [['Authorization', 'Bearer realm="evil", error="none"']] }), expected: rejects(400, 'invalid_request', 'authorization_malformed') },
  { name: 'a tampered token (401 invalid_token)', request: () => bearer(tokens.tampered), expected: rejects(401, 'invalid_token', 'signature_invalid') },
  { name: 'a token without the scope (403 insufficient_scope)', request: () => bearer(tokens.noScope, '/appointments'), expected: rejects(403, 'insufficient_scope', 'scope_insufficient'), scope: 'read:appointments' },
]

const RFC6750_VALUE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/

describe.each(ADAPTERS)('$name: hostile challenges (RFC 6750 §3)', (adapter) => {
  const app = (options: Partial<AuthOptions> = {}) => adapter.app({ issuer: issuer.url, audience: API, ...options })
  const pool = serverPool()
  afterAll(() => pool.close())

  describe.each(REFUSED_REALMS)('realm with %s', (_what, realm) => {
    it('is refused when auth() is built, with a message free of raw CR, LF and NUL', () => {
      let thrown: unknown
      try {
        app({ realm: realm as string })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(TypeError)
      // The message reaches logs: it must not carry the CR, LF or NUL it refuses.
      expect((thrown as Error).message).not.toMatch(/[\r\n\u0000]/)
    })
  })

  describe.each(ESCAPED_REALMS)('realm with %s', (_what, realm) => {
    it.each(PROBES)('$name: exactly one realm, escaped, and nothing else added', async ({ request, expected, scope }) => {
      const sent = request()
      const res = await pool.send(app, { realm }, sent)
      expectRejected(res, expected, sent.headers === undefined ? [] : tokenStrings(String(sent.headers[0]?.[1]).slice(7)), { realm, ...(scope === undefined ? {} : { scope }) })
      const value = res.headers['www-authenticate'] as string
      // Bearer, then realm first (RFC 6750 §3 examples), as one quoted-string.
      expect(value.startsWith('Bearer realm="')).toBe(true)
      const quoted = /^Bearer realm="((?:[^"\\]|\\.)*)"(?:, |$)/.exec(value)
      expect(quoted?.[1]?.replace(/\\(.)/g, '$1')).toBe(realm)
    })
  })

  it.each(Object.entries(ROUTES))('RFC 6750 §3: the 403 scope of %s is its requirement, in the RFC 6750 character set', async (path) => {
    const res = await pool.send(app, { realm: 'api' }, bearer(tokens.noScope, path))
    expect(res.status).toBe(403)
    const scope = /scope="([^"]*)"/.exec(res.headers['www-authenticate'] as string)?.[1]
    expect(scope).toMatch(RFC6750_VALUE)
    expect(scope?.split(' ').length).toBeGreaterThan(0)
  })

  it('control: with a plain realm, a valid token is accepted', async () => {
    const res = await pool.send(app, { realm: 'api' }, bearer(tokens.valid, '/appointments'))
    expect(res.status, res.text).toBe(200)
  })
})

describe('RFC 6750 §3: every error_description scopeguard can send', () => {
  it.each(Object.entries(AUTH_ERRORS))('%s: is inside %x20-21 / %x23-5B / %x5D-7E', (_code, kind) => {
    expect(kind.description).toMatch(RFC6750_VALUE)
  })
})
