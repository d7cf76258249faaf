import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { failOnProcessErrors } from './support/process-guard.js'
import { expectRejected, nodeOr, nodeRejects, rejects, tokenStrings, type Rejection } from './support/rejection.js'
import { serverPool, type WireRequest } from './support/wire.js'

// Family 1: the Authorization header and the other RFC 6750 §2 carriers (query, form body),
// as bytes on the wire. Every row is a request an attacker can send; each must be refused
// with the status and RFC 6750 §3.1 error code given, by scopeguard or by Node's HTTP parser
// before any middleware runs. Rows carry a real, valid token wherever the trick is around it,
// so that a parser that shrugs the trick off would answer 200 and fail the row.

failOnProcessErrors()

let issuer: FakeIssuer
/** A valid token with `read:appointments`, and the same with its payload altered after signing. */
const tokens = { valid: '', tampered: '' }
beforeAll(async () => {
  issuer = await createFakeIssuer()
  tokens.valid = await issuer.token({ scope: 'read:appointments' })
  tokens.tampered = await issuer.bad.tampered({ scope: 'read:appointments' })
})
afterAll(() => issuer.close())

type Line = readonly [name: string, value: string | Uint8Array]

interface SyntaxCase {
  /** The rule broken (RFC section), then what is sent. */
  readonly name: string
  /** Header lines (after Host) and, optionally, a query string or form body. */
  readonly request: (t: typeof tokens) => { lines?: readonly Line[]; query?: string; form?: string; method?: string }
  readonly expected: Rejection
  /** Options beyond issuer and audience. */
  readonly options?: Partial<AuthOptions>
}

const auth = (value: string | Uint8Array): { lines: Line[] } => ({ lines: [['Authorization', value]] })
/** Raw bytes: each UTF-16 code unit below 256 becomes one byte, so `\u0000` is a NUL on the wire. */
const bytes = (value: string): Uint8Array => Buffer.from(value, 'latin1')
const insert = (token: string, at: number, text: string): string => `${token.slice(0, at)}${text}${token.slice(at)}`
const OPEN = { acceptQueryToken: true, acceptBodyToken: true } as const

const MISSING = rejects(401, undefined, 'credentials_missing')
const UNSUPPORTED = rejects(401, undefined, 'scheme_unsupported')
const MALFORMED = rejects(400, 'invalid_request', 'authorization_malformed')
const MULTIPLE = rejects(400, 'invalid_request', 'credentials_multiple')
const TOO_LONG = rejects(401, 'invalid_token', 'token_too_long')

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
// Every other visible ASCII character, put inside an otherwise valid token.
const OUTSIDE_B64TOKEN = [...'!"#$%&\'()*,:;<>?@[\\]^`{|}']

const CASES: readonly SyntaxCase[] = [
  // RFC 6750 §3.1: "If the request lacks any authentication information ... the resource
  // server SHOULD NOT include an error code": 401, bare challenge.
  { name: 'RFC 6750 §3.1: an empty Authorization value is no credentials', request: () => auth(''), expected: MISSING },
  { name: 'RFC 9110 §5.5: a value of only spaces and tabs is trimmed to empty: no credentials', request: () => auth(' \t  \t'), expected: MISSING },
  { name: 'RFC 6750 §3.1: Basic credentials are another scheme', request: () => auth('Basic dXNlcjpwYXNzd29yZA=='), expected: UNSUPPORTED },
  { name: 'RFC 6750 §3.1: Digest credentials are another scheme', request: () => auth('Digest username="mallory", realm="api", nonce="0123456789abcdef"'), expected: UNSUPPORTED },
  { name: 'RFC 9449 §7.1: a valid token under the DPoP scheme is not a Bearer credential', request: (t) => auth(`DPoP ${t.valid}`), expected: UNSUPPORTED },
  { name: 'RFC 9110 §11.4: a valid token under a made-up scheme (JWT) is not a Bearer credential', request: (t) => auth(`JWT ${t.valid}`), expected: UNSUPPORTED },
  { name: 'RFC 9110 §11.1: "Bearerx" is another scheme, not Bearer', request: (t) => auth(`Bearerx ${t.valid}`), expected: UNSUPPORTED },
  { name: 'RFC 9110 §11.1: "Bearer_" (a tchar continues the scheme name) is another scheme', request: (t) => auth(`Bearer_ ${t.valid}`), expected: UNSUPPORTED },
  { name: 'RFC 9110 §11.1: a token with no scheme at all is not a Bearer credential', request: (t) => auth(t.valid), expected: UNSUPPORTED },
  { name: 'RFC 9110 §11.1: "Basic" then a Bearer credential after a comma is a malformed Basic credential', request: (t) => auth(`Basic dXNlcjpwYXNz, Bearer ${t.valid}`), expected: UNSUPPORTED },

  // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
  { name: 'RFC 6750 §2.1: "Bearer" without a token', request: () => auth('Bearer'), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: "Bearer " (Node trims the trailing space) without a token', request: () => auth('Bearer '), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: a tab instead of SP after the scheme', request: (t) => auth(`Bearer\t${t.valid}`), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: SP then a tab before the token', request: (t) => auth(`Bearer \t${t.valid}`), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: 1*SP allows several spaces, and the token after them is still verified', request: (t) => auth(`Bearer      ${t.tampered}`), expected: rejects(401, 'invalid_token', 'signature_invalid') },
  { name: 'RFC 6750 §2.1: two tokens separated by SP', request: (t) => auth(`Bearer ${t.valid} ${t.valid}`), expected: MALFORMED },
  { name: 'RFC 6750 §2.1 / RFC 9110 §5.3: comma-joined credentials', request: (t) => auth(`Bearer ${t.valid}, Bearer ${t.valid}`), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: comma-joined tokens without a space', request: (t) => auth(`Bearer ${t.valid},${t.valid}`), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: a quoted token', request: (t) => auth(`Bearer "${t.valid}"`), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: the token as an auth-param (token=...)', request: (t) => auth(`Bearer token=${t.valid}`), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: "=" padding inside the token, not at its end', request: (t) => auth(`Bearer ${t.valid.replace('.', '=.')}`), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: only padding, no token characters', request: () => auth('Bearer ===='), expected: MALFORMED },
  { name: 'RFC 6750 §2.1: a percent-encoded token', request: (t) => auth(`Bearer ${encodeURIComponent(`${t.valid} `)}`), expected: MALFORMED },
  ...OUTSIDE_B64TOKEN.map((char): SyntaxCase => ({
    name: `RFC 6750 §2.1: ${JSON.stringify(char)} is outside b64token`,
    request: (t) => auth(`Bearer ${insert(t.valid, 40, char)}`),
    expected: MALFORMED,
  })),

  // Non-ASCII: sent as UTF-8 bytes. Node passes obs-text through (RFC 9110 §5.5); scopeguard
  // must refuse it, and a Node that refuses it first is fine too.
  { name: 'RFC 6750 §2.1: a zero-width space (U+200B) inside the token', request: (t) => auth(`Bearer ${insert(t.valid, 40, '\u200B')}`), expected: nodeOr(MALFORMED) },
  { name: 'RFC 6750 §2.1: a byte-order mark (U+FEFF) before the token', request: (t) => auth(`Bearer \uFEFF${t.valid}`), expected: nodeOr(MALFORMED) },
  { name: 'RFC 6750 §2.1: a right-to-left override (U+202E) inside the token', request: (t) => auth(`Bearer ${insert(t.valid, 40, '\u202E')}`), expected: nodeOr(MALFORMED) },
  { name: 'RFC 6750 §2.1: a no-break space (U+00A0) instead of SP', request: (t) => auth(`Bearer\u00A0${t.valid}`), expected: nodeOr(MALFORMED) },
  { name: 'RFC 6750 §2.1: an ideographic space (U+3000) instead of SP', request: (t) => auth(`Bearer\u3000${t.valid}`), expected: nodeOr(MALFORMED) },
  { name: 'RFC 6750 §2.1: fullwidth letters (U+FF41...) in the token', request: (t) => auth(`Bearer ${insert(t.valid, 40, '\uFF41\uFF42')}`), expected: nodeOr(MALFORMED) },
  { name: 'RFC 6750 §2.1: a raw 0xFF byte (not UTF-8) inside the token', request: (t) => auth(bytes(`Bearer ${insert(t.valid, 40, '\u00FF')}`)), expected: nodeOr(MALFORMED) },
  { name: 'RFC 9110 §11.1: a Cyrillic homoglyph scheme ("Веаrer") is another scheme', request: (t) => auth(`\u0412\u0435\u0430rer ${t.valid}`), expected: nodeOr(UNSUPPORTED) },
  { name: 'RFC 9110 §11.1: a fullwidth scheme ("Ｂｅａｒｅｒ") is another scheme', request: (t) => auth(`\uFF22\uFF45\uFF41\uFF52\uFF45\uFF52 ${t.valid}`), expected: nodeOr(UNSUPPORTED) },

  // Control characters: RFC 9110 §5.5 forbids them in field values; Node's parser refuses
  // most with its own 400 before the app runs.
  ...[
    ['NUL (U+0000) after the token', (t: string) => `Bearer ${t}\u0000`],
    ['NUL (U+0000) inside the token', (t: string) => `Bearer ${insert(t, 40, '\u0000')}`],
    ['SOH (U+0001) inside the token', (t: string) => `Bearer ${insert(t, 40, '\u0001')}`],
    ['backspace (U+0008) inside the token', (t: string) => `Bearer ${insert(t, 40, '\u0008')}`],
    ['vertical tab (U+000B) instead of SP', (t: string) => `Bearer\u000B${t}`],
    ['form feed (U+000C) instead of SP', (t: string) => `Bearer\u000C${t}`],
    ['a bare CR inside the token', (t: string) => `Bearer ${insert(t, 40, '\r')}`],
    ['a bare LF inside the token', (t: string) => `Bearer ${insert(t, 40, '\n')}`],
    ['ESC (U+001B) inside the token', (t: string) => `Bearer ${insert(t, 40, '\u001B')}`],
    ['DEL (U+007F) inside the token', (t: string) => `Bearer ${insert(t, 40, '\u007F')}`],
  ].map(([what, value]): SyntaxCase => ({
    name: `RFC 9110 §5.5: ${what as string}`,
    request: (t) => auth(bytes((value as (t: string) => string)(t.valid))),
    expected: nodeOr(MALFORMED),
  })),
  {
    // Unfolded (RFC 9112 §5.2 allows replacing obs-fold with SP) it would be "Bearer <token>":
    // the tampered token keeps the row a rejection either way.
    name: 'RFC 9112 §5.2: obs-fold (CRLF SP) between the scheme and the token',
    request: (t) => auth(bytes(`Bearer\r\n ${t.tampered}`)),
    expected: nodeOr(rejects(401, 'invalid_token', 'signature_invalid')),
  },
  { name: 'RFC 9112 §5.1: whitespace between the field name and the colon', request: (t) => ({ lines: [['Authorization ', `Bearer ${t.valid}`]] }), expected: nodeRejects(400) },

  // RFC 6750 §3.1 invalid_request: "includes more than one method for including an access token".
  { name: 'RFC 6750 §3.1: two Authorization lines, both Bearer', request: (t) => ({ lines: [['Authorization', `Bearer ${t.valid}`], ['Authorization', `Bearer ${t.valid}`]] }), expected: MULTIPLE },
  { name: 'RFC 6750 §3.1: two Authorization lines, Bearer then Basic', request: (t) => ({ lines: [['Authorization', `Bearer ${t.valid}`], ['Authorization', 'Basic dXNlcjpwYXNz']] }), expected: MULTIPLE },
  { name: 'RFC 6750 §3.1: two Authorization lines, Basic then Bearer', request: (t) => ({ lines: [['Authorization', 'Basic dXNlcjpwYXNz'], ['Authorization', `Bearer ${t.valid}`]] }), expected: MULTIPLE },
  { name: 'RFC 6750 §3.1: an empty Authorization line, then a Bearer one', request: (t) => ({ lines: [['Authorization', ''], ['Authorization', `Bearer ${t.valid}`]] }), expected: MULTIPLE },
  { name: 'RFC 9110 §5.1: field names are case-insensitive: "authorization" and "AUTHORIZATION" are two lines', request: (t) => ({ lines: [['authorization', `Bearer ${t.valid}`], ['AUTHORIZATION', `Bearer ${t.valid}`]] }), expected: MULTIPLE },
  { name: 'RFC 6750 §3.1: a hundred Authorization lines', request: (t) => ({ lines: Array.from({ length: 100 }, (): Line => ['Authorization', `Bearer ${t.valid.slice(0, 60)}`]) }), expected: MULTIPLE },
  { name: 'RFC 6750 §2: header and query token', options: OPEN, request: (t) => ({ ...auth(`Bearer ${t.valid}`), query: `access_token=${t.valid}` }), expected: MULTIPLE },
  { name: 'RFC 6750 §2: header and form-body token', options: OPEN, request: (t) => ({ ...auth(`Bearer ${t.valid}`), method: 'POST', form: `access_token=${t.valid}` }), expected: MULTIPLE },
  { name: 'RFC 6750 §2: query and form-body token', options: OPEN, request: (t) => ({ query: `access_token=${t.valid}`, method: 'POST', form: `access_token=${t.valid}` }), expected: MULTIPLE },
  { name: 'RFC 6750 §2: header, query and form-body token', options: OPEN, request: (t) => ({ ...auth(`Bearer ${t.valid}`), query: `access_token=${t.valid}`, method: 'POST', form: `access_token=${t.valid}` }), expected: MULTIPLE },
  { name: 'RFC 6750 §3.1: a repeated access_token query parameter', options: OPEN, request: (t) => ({ query: `access_token=${t.valid}&access_token=${t.valid}` }), expected: MULTIPLE },
  { name: 'RFC 6750 §3.1: a repeated access_token query parameter, the first empty', options: OPEN, request: (t) => ({ query: `access_token=&access_token=${t.valid}` }), expected: MULTIPLE },
  { name: 'RFC 6750 §3.1: a repeated access_token form parameter', options: OPEN, request: (t) => ({ method: 'POST', form: `access_token=${t.valid}&access_token=${t.valid}` }), expected: MULTIPLE },

  // RFC 6750 §2.2 / §2.3: the other carriers, with the same b64token syntax.
  { name: 'RFC 6750 §2.3: an empty access_token query parameter', options: OPEN, request: () => ({ query: 'access_token=' }), expected: MALFORMED },
  { name: 'RFC 6750 §2.3: "+" in the query decodes to a space inside the token', options: OPEN, request: (t) => ({ query: `access_token=${insert(t.valid, 40, '+')}` }), expected: MALFORMED },
  { name: 'RFC 6750 §2.3: a percent-encoded NUL in the query token', options: OPEN, request: (t) => ({ query: `access_token=${t.valid}%00` }), expected: MALFORMED },
  { name: 'RFC 6750 §2.3: a percent-encoded LF in the query token', options: OPEN, request: (t) => ({ query: `access_token=${insert(t.valid, 40, '%0A')}` }), expected: MALFORMED },
  { name: 'RFC 6750 §2.3: percent-encoded non-ASCII (U+200B) in the query token', options: OPEN, request: (t) => ({ query: `access_token=${insert(t.valid, 40, '%E2%80%8B')}` }), expected: MALFORMED },
  { name: 'RFC 6750 §2.2: an empty access_token form parameter', options: OPEN, request: () => ({ method: 'POST', form: 'access_token=' }), expected: MALFORMED },
  { name: 'RFC 6750 §2.2: a space inside the form-body token', options: OPEN, request: (t) => ({ method: 'POST', form: `access_token=${insert(t.valid, 40, '%20')}` }), expected: MALFORMED },
  { name: 'RFC 6750 §2.2: "the GET method MUST NOT be used": a form body on GET is ignored', options: OPEN, request: (t) => ({ method: 'GET', form: `access_token=${t.valid}` }), expected: MISSING },
  { name: 'RFC 6750 §2.3: a query token is ignored unless acceptQueryToken is set', request: (t) => ({ query: `access_token=${t.valid}` }), expected: MISSING },
  { name: 'RFC 6750 §2.2: a form-body token is ignored unless acceptBodyToken is set', request: (t) => ({ method: 'POST', form: `access_token=${t.valid}` }), expected: MISSING },

  // Size: maxTokenLength (default 8192) is checked before any parsing; Node's 16 KiB header
  // limit answers 431 (RFC 6585 §5) before the app runs.
  { name: 'maxTokenLength: one character over the default 8192', request: () => auth(`Bearer ${'a'.repeat(8193)}`), expected: TOO_LONG },
  { name: 'maxTokenLength: 8193 characters outside b64token are refused for their length first', request: () => auth(`Bearer ${'$'.repeat(8193)}`), expected: TOO_LONG },
  { name: 'maxTokenLength: exactly 8192 characters reach verification and are refused there', request: () => auth(`Bearer ${'a'.repeat(8192)}`), expected: rejects(401, 'invalid_token', 'token_malformed') },
  { name: 'maxTokenLength: a valid token over a configured limit of 64', options: { maxTokenLength: 64 }, request: (t) => auth(`Bearer ${t.valid}`), expected: TOO_LONG },
  { name: 'maxTokenLength: a query token over the limit', options: OPEN, request: () => ({ query: `access_token=${'a'.repeat(8193)}` }), expected: TOO_LONG },
  { name: 'maxTokenLength: a form-body token over the limit', options: OPEN, request: () => ({ method: 'POST', form: `access_token=${'a'.repeat(8193)}` }), expected: TOO_LONG },
  { name: 'RFC 6585 §5: a 60 KB Authorization header → Node answers 431', request: () => auth(`Bearer ${'a'.repeat(60_000)}`), expected: nodeRejects(431) },
  { name: 'RFC 6585 §5: a 60 KB query token → Node answers 431', options: OPEN, request: () => ({ query: `access_token=${'a'.repeat(60_000)}` }), expected: nodeRejects(431) },
  { name: 'RFC 6585 §5: 60 KB spread over 600 Authorization lines → Node answers 431', request: () => ({ lines: Array.from({ length: 600 }, (): Line => ['Authorization', `Bearer ${'a'.repeat(100)}`]) }), expected: nodeRejects(431) },

  // optional: true lets anonymous requests through, never malformed or invalid ones.
  { name: 'optional mode: "Bearer" without a token is still malformed', options: { optional: true }, request: () => auth('Bearer'), expected: MALFORMED },
  { name: 'optional mode: two Authorization lines are still refused', options: { optional: true }, request: (t) => ({ lines: [['Authorization', 'Basic dXNlcjpwYXNz'], ['Authorization', `Bearer ${t.valid}`]] }), expected: MULTIPLE },
  { name: 'optional mode: a tampered token is still verified and refused', options: { optional: true }, request: (t) => auth(`Bearer ${t.tampered}`), expected: rejects(401, 'invalid_token', 'signature_invalid') },
]

/**
 * What the attacker sent: each header value, the credential after the scheme and its parts,
 * query and body values. Parts shorter than 12 characters are left out: "Bearer" itself, or
 * a scheme name, is in every challenge.
 */
function attackerStrings(sent: ReturnType<SyntaxCase['request']>): string[] {
  const values = (sent.lines ?? []).map(([, value]) => (typeof value === 'string' ? value : Buffer.from(value).toString('latin1')))
  for (const carrier of [sent.query, sent.form]) {
    if (carrier !== undefined) values.push(...new URLSearchParams(carrier).getAll('access_token'))
  }
  return values
    .flatMap((value) => {
      const credential = value.replace(/^\S*\s*/, '')
      return [value, ...tokenStrings(credential), ...credential.split(/[\s,]+/)]
    })
    .filter((text) => text.length >= 12)
}

function toWire(sent: ReturnType<SyntaxCase['request']>): WireRequest {
  return {
    method: sent.method ?? 'GET',
    path: sent.query === undefined ? '/me' : `/me?${sent.query}`,
    headers: sent.lines ?? [],
    ...(sent.form === undefined ? {} : { form: sent.form }),
  }
}

describe.each(ADAPTERS)('$name: hostile Authorization syntax (RFC 6750 §2)', (adapter) => {
  const app = (options: Partial<AuthOptions>) => adapter.app({ issuer: issuer.url, audience: 'https://api.example.com', ...options })
  const pool = serverPool()
  afterAll(() => pool.close())

  it('control: the valid token of these rows is accepted through every carrier', async () => {
    for (const request of [auth(`Bearer ${tokens.valid}`), { query: `access_token=${tokens.valid}` }, { method: 'POST', form: `access_token=${tokens.valid}` }]) {
      const res = await pool.send(app, OPEN, toWire(request))
      expect(res.status, res.text).toBe(200)
    }
  })

  it.each(CASES)('$name', async ({ request, expected, options }) => {
    const sent = request(tokens)
    expectRejected(await pool.send(app, options ?? {}, toWire(sent)), expected, attackerStrings(sent))
  })
})
