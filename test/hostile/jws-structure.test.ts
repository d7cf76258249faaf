import { randomBytes } from 'node:crypto'
import type { ServerOptions } from 'node:http'
import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { b64, headerText, payloadText, segments, signJsonText, signSegments } from './support/jws.js'
import { failOnProcessErrors } from './support/process-guard.js'
import { expectRejected, rejects, tokenStrings, type Rejection } from './support/rejection.js'
import { bearer, serverPool } from './support/wire.js'

// Family 2: the compact JWS itself (RFC 7515 §7.1: three base64url segments, the first two
// UTF-8 JSON objects). Rows that only the issuer could sign are signed with the issuer's
// published key, so the structure is the only thing wrong with them; rows an attacker makes
// without the key carry a random signature.
//
// Tokens here can be large (10 000 levels of nesting), so the servers take 256 KiB of headers
// and the middleware 100 000-character tokens: the row must reach scopeguard, not stop at
// Node's 431 or at maxTokenLength.

failOnProcessErrors()

const SERVER: ServerOptions = { maxHeaderSize: 256 * 1024 }
const BIG: Partial<AuthOptions> = { maxTokenLength: 100_000 }
const DEEP = `${'['.repeat(10_000)}${']'.repeat(10_000)}`

let issuer: FakeIssuer
let valid: string
beforeAll(async () => {
  issuer = await createFakeIssuer()
  valid = await issuer.token({ scope: 'read:appointments' })
})
afterAll(() => issuer.close())

interface StructureCase {
  /** The rule broken (RFC section), then what the token holds. */
  readonly name: string
  readonly token: () => Promise<string> | string
  readonly expected: Rejection
  readonly options?: Partial<AuthOptions> | (() => Partial<AuthOptions>)
}

const MALFORMED_TOKEN = rejects(401, 'invalid_token', 'token_malformed')
const BAD_SIGNATURE = rejects(401, 'invalid_token', 'signature_invalid')

/** JSON text or raw bytes; a function when it needs the issuer, which starts after the table is built. */
type Text = string | Uint8Array | (() => string | Uint8Array)
const text = (value: Text): string | Uint8Array => (typeof value === 'function' ? value() : value)
/** Signed by the issuer from the exact texts or bytes given. */
const signed = (header: Text, payload: Text) => () => signJsonText(issuer.signingKey, text(header), text(payload))
/** What an attacker without the key sends: the texts given and 256 random bytes as the signature. */
const forged = (header: Text, payload: Text) => () => `${b64(text(header))}.${b64(text(payload))}.${b64(randomBytes(256))}`
const validHeader = () => headerText(issuer)
const validPayload = () => payloadText(issuer)
/** Signed by the issuer: the usual header with raw members appended (`,"alg":"none"`). */
const signedHeader = (members: string) => signed(() => headerText(issuer, members), validPayload)
/** Signed by the issuer: the usual claims with raw members appended (`,"exp":1e400`). */
const signedPayload = (members: string | (() => string)) => signed(validHeader, () => payloadText(issuer, typeof members === 'function' ? members() : members))
/** base64url → base64: `-` and `_` become `+` and `/` (RFC 4648 §4 vs §5). */
const standardAlphabet = (segment: string): string => {
  const converted = segment.replace(/-/g, '+').replace(/_/g, '/')
  // A segment without '-' or '_' would leave the row testing nothing.
  if (converted === segment) throw new Error('segment has no base64url-only characters; pick other content')
  return converted
}
/** A header text whose base64url holds both '-' and '_', so its standard-alphabet form differs. */
const headerWithUrlChars = (): string => {
  for (let pad = 0; ; pad++) {
    const text = headerText(issuer, `,"x":"${'?'.repeat(pad)}>>>???~~~"`)
    if (/-/.test(b64(text)) && /_/.test(b64(text))) return text
  }
}
const now = () => Math.floor(Date.now() / 1000)

const CASES: readonly StructureCase[] = [
  // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
  { name: 'RFC 7515 §7.1: one segment (the header alone)', token: () => segments(valid)[0], expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §7.1: one segment (a valid token with its dots removed)', token: () => valid.replace(/\./g, ''), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §7.1: two segments (header.payload)', token: () => valid.split('.').slice(0, 2).join('.'), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §7.1: four segments (a valid token and a trailing ".")', token: () => `${valid}.`, expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §7.1: four segments (a valid token and its signature again)', token: () => `${valid}.${segments(valid)[2]}`, expected: MALFORMED_TOKEN },
  { name: 'RFC 7516 §7.1: five segments (a valid token and two empty ones, JWE-shaped)', token: () => `${valid}..`, expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §7.1: five non-empty segments', token: () => `${valid}.${segments(valid)[1]}.${segments(valid)[2]}`, expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §7.1: only dots ("..")', token: () => '..', expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §7.1: a hundred segments', token: () => Array.from({ length: 100 }, () => 'eyJ9').join('.'), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §5.2: an empty signature segment', token: () => `${segments(valid)[0]}.${segments(valid)[1]}.`, expected: BAD_SIGNATURE },
  { name: 'RFC 7515 §5.2: an empty header segment', token: () => `.${segments(valid)[1]}.${segments(valid)[2]}`, expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §5.2: an empty payload segment, signed', token: () => signSegments(issuer.signingKey, b64(validHeader()), ''), expected: MALFORMED_TOKEN },

  // RFC 7515 §2: base64url "with all trailing '=' characters omitted ... and without the
  // inclusion of any line breaks, whitespace, or other additional characters".
  { name: 'RFC 7515 §2: the header in the standard alphabet (+ and /), correctly signed', token: () => signSegments(issuer.signingKey, standardAlphabet(b64(headerWithUrlChars())), b64(validPayload())), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §2: the payload in the standard alphabet (+ and /), correctly signed', token: () => signSegments(issuer.signingKey, b64(validHeader()), standardAlphabet(b64(payloadText(issuer, ',"x":"???>>>~~~???>>>"')))), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §2: the signature in the standard alphabet (+ and /)', token: () => `${segments(valid)[0]}.${segments(valid)[1]}.${standardAlphabet(segments(valid)[2])}`, expected: MALFORMED_TOKEN },
  // Node's decoder would accept these as the same bytes: the core requires canonical
  // base64url so one token has one spelling (the verified-token cache and any denylist key on it).
  { name: 'RFC 7515 §2: "==" padding appended to a valid token', token: () => `${valid}==`, expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §2: the last signature character changed only in its unused low bits', token: () => withUnusedBitSet(valid), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §2: one "=" of padding on the signature (not a valid base64 length)', token: () => `${valid}=`, expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §2 / RFC 6750 §2.1: "=" padding on the header segment', token: () => `${segments(valid)[0]}==.${segments(valid)[1]}.${segments(valid)[2]}`, expected: rejects(400, 'invalid_request', 'authorization_malformed') },
  { name: 'RFC 7515 §2 / RFC 6750 §2.1: a space inside a segment', token: () => `${segments(valid)[0]}.${segments(valid)[1].slice(0, 20)} ${segments(valid)[1].slice(20)}.${segments(valid)[2]}`, expected: rejects(400, 'invalid_request', 'authorization_malformed') },
  { name: 'RFC 7515 §2: a segment of one base64url character (no whole byte)', token: () => `e.${segments(valid)[1]}.${segments(valid)[2]}`, expected: MALFORMED_TOKEN },

  // RFC 7515 §5.2 steps 2-4: the header is UTF-8 JSON of a single object. These need no key:
  // the header is read before any signature is checked.
  ...[
    ['not JSON', 'alg=RS256'],
    ['a JSON array', '[{"alg":"RS256"}]'],
    ['a JSON string', '"RS256"'],
    ['a JSON number', '256'],
    ['JSON null', 'null'],
    ['JSON true', 'true'],
    ['empty text', ''],
    ['an object with trailing text', '{"alg":"RS256"}x'],
    ['two objects', '{"alg":"RS256"}{"alg":"RS256"}'],
    ['an unterminated object', '{"alg":"RS256"'],
    ['single-quoted JSON5', "{'alg':'RS256'}"],
    ['a raw NUL inside a JSON string', '{"alg":"RS256","kid":"a\u0000b"}'],
  ].map(([what, header]): StructureCase => ({
    name: `RFC 7515 §5.2: the header is ${what as string}`,
    token: forged(header as string, validPayload),
    expected: MALFORMED_TOKEN,
  })),
  { name: 'RFC 7515 §5.2: the header is not UTF-8 (0xFF 0xFE)', token: forged(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), 'x'), expected: MALFORMED_TOKEN },
  { name: 'RFC 7515 §5.2: the header is UTF-16 JSON', token: forged(Buffer.from('{"alg":"RS256"}', 'utf16le'), validPayload), expected: MALFORMED_TOKEN },

  // RFC 7519 §7.2 step 10: the payload of a JWT is a JSON object. Signed by the issuer, so
  // only the payload's shape is wrong.
  ...[
    ['not JSON', 'sub=user-1'],
    ['a JSON array of claim sets', () => `[${validPayload()}]`],
    ['a JSON string', '"read:appointments"'],
    ['a JSON number', '1'],
    ['JSON null', 'null'],
    ['JSON false', 'false'],
    ['empty text', ''],
    ['a claim set with trailing text', () => `${validPayload()}//`],
    ['a raw NUL inside a JSON string', () => payloadText(issuer, ',"x":"a\u0000b"')],
  ].map(([what, payload]): StructureCase => ({
    name: `RFC 7519 §7.2: the payload is ${what as string}, correctly signed`,
    token: signed(validHeader, payload as Text),
    expected: MALFORMED_TOKEN,
  })),
  { name: 'RFC 7519 §7.2: the payload is not UTF-8, correctly signed', token: signed(validHeader, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), expected: MALFORMED_TOKEN },

  // RFC 7515 §4 / RFC 7519 §4: with duplicate member names, parsers "MUST either reject ... or
  // use a JSON parser that returns only the lexically last duplicate member name". The last
  // value is the one that must be enforced, and every reader must agree on it.
  { name: 'RFC 7515 §4: duplicate "alg", the last one "none", correctly signed', token: signedHeader(',"alg":"none"'), expected: rejects(401, 'invalid_token', 'algorithm_not_allowed') },
  { name: 'RFC 7515 §4: duplicate "alg", the last one HS256, correctly signed', token: signedHeader(',"alg":"HS256"'), expected: rejects(401, 'invalid_token', 'algorithm_not_allowed') },
  { name: 'RFC 7515 §4: duplicate "typ", the last one an ID token\'s, correctly signed', token: signedHeader(',"typ":"id_token+jwt"'), expected: rejects(401, 'invalid_token', 'token_type_invalid') },
  { name: 'RFC 7515 §4: duplicate "kid", the last one unknown, correctly signed', token: signedHeader(',"kid":"not-published"'), expected: rejects(401, 'invalid_token', 'key_not_found') },
  { name: 'RFC 7519 §4: duplicate "exp", the last one past, correctly signed', token: signedPayload(() => `,"exp":${now() - 3600}`), expected: rejects(401, 'invalid_token', 'token_expired') },
  { name: 'RFC 7519 §4: duplicate "iss", the last one untrusted, correctly signed', token: signedPayload(',"iss":"https://evil.example.com/"'), expected: rejects(401, 'invalid_token', 'issuer_invalid') },
  { name: 'RFC 7519 §4: duplicate "aud", the last one another API, correctly signed', token: signedPayload(',"aud":"https://other-api.example.com"'), expected: rejects(401, 'invalid_token', 'audience_invalid') },
  {
    // With several issuers the unverified `iss` picks whose keys to use: it must be read
    // exactly as jose reads it, or a trusted first `iss` could select the keys for a token
    // whose enforced `iss` is another.
    name: 'RFC 7519 §4: several issuers, duplicate "iss", the last one untrusted',
    options: () => ({ issuer: [issuer.url, 'https://other-idp.example.com/'] }),
    token: signedPayload(',"iss":"https://evil.example.com/"'),
    expected: rejects(401, 'invalid_token', 'issuer_invalid'),
  },

  // Deep nesting: JSON.parse copes, a recursive walk or JSON.stringify of the claims later
  // may not. An attacker can nest anything in a header or payload it does not sign.
  // The core bounds nesting (32 levels): otherwise a signed 10 000-level claim would be
  // accepted and an application's JSON.stringify(req.auth) would throw (a 500).
  { name: 'nesting: 10 000 levels in a signed claim of an otherwise valid token', options: BIG, token: signedPayload(`,"x":${DEEP}`), expected: MALFORMED_TOKEN },
  { name: 'nesting: 10 000 levels in a signed header member of an otherwise valid token', options: BIG, token: signedHeader(`,"x":${DEEP}`), expected: MALFORMED_TOKEN },
  { name: 'nesting: 33 levels of objects in a signed claim', token: signedPayload(`,"x":${'{"a":'.repeat(33)}1${'}'.repeat(33)}`), expected: MALFORMED_TOKEN },
  // The header's nesting is checked as soon as it is parsed: no key lookup, no signature check.
  { name: 'nesting: 10 000 levels in an unsigned header member', options: BIG, token: forged(() => headerText(issuer, `,"x":${DEEP}`), validPayload), expected: MALFORMED_TOKEN },
  { name: 'nesting: 10 000 levels in the header as the "kid"', options: BIG, token: forged(`{"alg":"RS256","typ":"at+jwt","kid":${DEEP}}`, validPayload), expected: MALFORMED_TOKEN },
  { name: 'nesting: 10 000 levels in the header as the "crit" list', options: BIG, token: forged(() => headerText(issuer, `,"crit":${DEEP}`), validPayload), expected: MALFORMED_TOKEN },
  { name: 'nesting: 10 000 levels in an unsigned payload claim', options: BIG, token: forged(validHeader, () => payloadText(issuer, `,"x":${DEEP}`)), expected: BAD_SIGNATURE },
  { name: 'nesting: 10 000 levels in a signed claim of an expired token', options: BIG, token: signedPayload(() => `,"x":${DEEP},"exp":${now() - 3600}`), expected: rejects(401, 'invalid_token', 'token_expired') },
  {
    // Several issuers: the unverified payload is parsed to pick the issuer before any signature check.
    name: 'nesting: several issuers, 10 000 levels in an unsigned payload with an untrusted iss',
    options: () => ({ ...BIG, issuer: [issuer.url, 'https://other-idp.example.com/'] }),
    token: forged(validHeader, `{"iss":"https://evil.example.com/","x":${DEEP}}`),
    expected: rejects(401, 'invalid_token', 'issuer_invalid'),
  },
  {
    name: 'nesting: several issuers, the unverified "iss" itself nested 10 000 levels',
    options: () => ({ ...BIG, issuer: [issuer.url, 'https://other-idp.example.com/'] }),
    token: forged(validHeader, `{"iss":${DEEP}}`),
    expected: rejects(401, 'invalid_token', 'issuer_invalid'),
  },

  // RFC 7519 §2 NumericDate is a JSON number; 1e400 parses to Infinity in JavaScript.
  // jose only checks for a number; the core also requires it to be finite.
  { name: 'RFC 7519 §2: exp 1e400 (Infinity) is not a NumericDate, not "never expires"', token: signedPayload(',"exp":1e400'), expected: rejects(401, 'invalid_token', 'claim_invalid') },
  { name: 'RFC 7519 §2: iat 1e400 (Infinity) without maxTokenAge is not a NumericDate', token: signedPayload(',"iat":1e400'), expected: rejects(401, 'invalid_token', 'claim_invalid') },
  { name: 'RFC 7519 §4.1.5: nbf 1e400 (Infinity) is never reached', token: signedPayload(',"nbf":1e400'), expected: rejects(401, 'invalid_token', 'token_not_yet_valid') },
  { name: 'RFC 7519 §4.1.4: exp -1e400 (-Infinity) is long past', token: signedPayload(',"exp":-1e400'), expected: rejects(401, 'invalid_token', 'token_expired') },
  { name: 'RFC 7519 §4.1.6: iat 1e400 (Infinity) with maxTokenAge is in the future', options: { maxTokenAge: 300 }, token: signedPayload(',"iat":1e400'), expected: rejects(401, 'invalid_token', 'token_issued_in_future') },
  { name: 'RFC 7519 §2: exp as the string "1e400" is not a NumericDate', token: signedPayload(',"exp":"1e400"'), expected: rejects(401, 'invalid_token', 'claim_invalid') },
  { name: 'RFC 7519 §2: exp 1e400 in an unsigned token is refused for its signature', token: forged(validHeader, () => payloadText(issuer, ',"exp":1e400')), expected: BAD_SIGNATURE },
]

// Tokens the issuer signed whose odd but legal content must be read the way RFC 7515 §4
// says (the last duplicate wins) and answered 200, not crash: the other side of the table.
const CONTROLS: readonly { name: string; token: () => Promise<string>; options?: () => Partial<AuthOptions> }[] = [
  { name: 'RFC 7519 §4: duplicate "exp", the last one future', token: signedPayload(() => `,"exp":${now() - 3600},"exp":${now() + 3600}`) },
  { name: 'RFC 7515 §4: duplicate "alg", "none" first and RS256 last', token: signed(() => `{"alg":"none","typ":"at+jwt","kid":"${issuer.signingKey.kid}","alg":"RS256"}`, validPayload) },
  {
    name: 'RFC 7519 §4: several issuers, duplicate "iss", the trusted one last',
    token: signed(validHeader, () => `{"iss":"https://evil.example.com/",${validPayload().slice(1)}`),
    options: () => ({ issuer: [issuer.url, 'https://other-idp.example.com/'] }),
  },
  { name: 'nesting: 30 levels in a signed claim (under the limit of 32) reach the handler intact', token: signedPayload(() => `,"x":${'['.repeat(30)}${']'.repeat(30)}`) },
]

describe.each(ADAPTERS)('$name: hostile JWS structure (RFC 7515, RFC 7519)', (adapter) => {
  const app = (options: Partial<AuthOptions>) => adapter.app({ issuer: issuer.url, audience: 'https://api.example.com', ...options })
  const pool = serverPool(SERVER)
  afterAll(() => pool.close())
  const send = (options: StructureCase['options'], token: string) => pool.send(app, typeof options === 'function' ? options() : (options ?? {}), bearer(token))

  it.each(CONTROLS)('control, signed by the issuer: $name → 200', async ({ token, options }) => {
    const res = await send(options, await token())
    expect(res.status, res.text).toBe(200)
    expect((res.body.auth as { claims: { iss: string } }).claims.iss).toBe(issuer.url)
  })

  it.each(CASES)('$name', async ({ token, expected, options }) => {
    const sent = await token()
    expectRejected(await send(options, sent), expected, tokenStrings(sent))
  })
})

/** The token with its signature's last character changed only in bits base64url leaves unused. */
function withUnusedBitSet(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(token[token.length - 1] as string)
  return `${token.slice(0, -1)}${alphabet[last ^ 1]}`
}
