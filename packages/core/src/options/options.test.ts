import { describe, expect, it } from 'vitest'
import { DEFAULT_ALGORITHMS, HMAC_ALGORITHMS, resolveOptions, type AuthOptions } from './options.js'

const BASE = { issuer: 'https://idp.example.com/', audience: 'https://api.example.com' } as const
const SECRET = 'k'.repeat(32)
const JWK = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }

const resolve = (extra: Record<string, unknown>) => resolveOptions({ ...BASE, ...extra } as AuthOptions)

describe('resolveOptions: defaults', () => {
  it('applies every default', () => {
    expect(resolveOptions({ ...BASE })).toEqual({
      issuers: ['https://idp.example.com/'],
      audiences: ['https://api.example.com'],
      keySource: { kind: 'remote', jwksUri: undefined },
      algorithms: [...DEFAULT_ALGORITHMS],
      clockTolerance: 5,
      maxTokenAge: undefined,
      requiredClaims: ['exp'],
      strictRfc9068: false,
      claimChecks: [],
      scopeClaims: ['scope', 'scp'],
      realm: 'api',
      acceptBodyToken: false,
      acceptQueryToken: false,
      maxTokenLength: 8192,
      optional: false,
      handleErrors: true,
      unavailableStatus: 503,
      retryAfter: 10,
      fetchTimeout: 5000,
      maxResponseBytes: 524_288,
      jwksCacheMaxAge: 600_000,
      jwksCooldown: 30_000,
      jwksStaleIfError: 86_400_000,
      metadataCacheMaxAge: 3_600_000,
      fetchRetryMin: 1000,
      fetchRetryMax: 60_000,
      followRedirects: false,
      onEvent: undefined,
      warnings: true,
      fetch: undefined,
      clock: Date.now,
      tokenCache: { maxEntries: 10_000, maxBytes: 33_554_432, ttl: 300_000 },
      allowHttp: false,
      // DPoP is allowed, but with no origin to check proofs against it is not offered.
      dpop: { mode: 'allowed', origin: undefined, algorithms: DEFAULT_ALGORITHMS, maxAge: 300, clockSkew: 30, maxProofLength: 4096, nonce: undefined, replayStore: undefined },
      mtls: { configured: false, certificateFrom: 'tls' },
      isRevoked: undefined,
    })
  })

  it('RFC 8725 §3.1: the default algorithms are asymmetric only, and never "none"', () => {
    expect(DEFAULT_ALGORITHMS).not.toContain('none')
    expect(DEFAULT_ALGORITHMS.some((alg) => alg.startsWith('HS'))).toBe(false)
  })

  it('with `secret`: HS256/384/512 by default and the secret as bytes', () => {
    const resolved = resolve({ secret: SECRET })
    expect(resolved.algorithms).toEqual([...HMAC_ALGORITHMS])
    expect(resolved.keySource).toEqual({ kind: 'secret', secret: new TextEncoder().encode(SECRET) })
  })
})

describe('resolveOptions: accepted values', () => {
  it.each<[string, Record<string, unknown>, (r: ReturnType<typeof resolveOptions>) => unknown, unknown]>([
    ['issuer and audience lists, duplicates removed', { issuer: ['https://a/', 'https://a/', 'https://b/'], audience: ['x', 'x'] }, (r) => [r.issuers, r.audiences], [['https://a/', 'https://b/'], ['x']]],
    ['http issuer on localhost', { issuer: 'http://localhost:8080/' }, (r) => r.issuers, ['http://localhost:8080/']],
    ['http issuer on 127.0.0.1', { issuer: 'http://127.0.0.1:9000' }, (r) => r.issuers, ['http://127.0.0.1:9000']],
    ['http issuer on [::1]', { issuer: 'http://[::1]:9000/' }, (r) => r.issuers, ['http://[::1]:9000/']],
    ['http issuer elsewhere with allowHttp', { issuer: 'http://idp.internal/', allowHttp: true }, (r) => [r.issuers, r.allowHttp], [['http://idp.internal/'], true]],
    ['jwksUri skips discovery', { jwksUri: 'https://idp.example.com/jwks' }, (r) => r.keySource, { kind: 'remote', jwksUri: 'https://idp.example.com/jwks' }],
    ['a non-URL issuer is fine when keys are local', { issuer: 'urn:example:idp', keys: JWK }, (r) => r.keySource, { kind: 'local', keys: [JWK] }],
    ['a list of keys', { keys: [JWK, JWK] }, (r) => r.keySource, { kind: 'local', keys: [JWK, JWK] }],
    ['a 32-byte Uint8Array secret', { secret: new Uint8Array(32) }, (r) => r.keySource, { kind: 'secret', secret: new Uint8Array(32) }],
    ['RFC 7518 §3.2 counts bytes: 16 × "ä" is 32 bytes', { secret: 'ä'.repeat(16) }, (r) => r.keySource.kind, 'secret'],
    ['a subset of the asymmetric algorithms', { algorithms: ['ES256', 'EdDSA'] }, (r) => r.algorithms, ['ES256', 'EdDSA']],
    ['a single algorithm as a string', { algorithms: 'RS256' }, (r) => r.algorithms, ['RS256']],
    ['HS256 alone with a secret', { secret: SECRET, algorithms: ['HS256'] }, (r) => r.algorithms, ['HS256']],
    ['requiredClaims: [] accepts tokens without exp', { requiredClaims: [] }, (r) => r.requiredClaims, []],
    ['scopeClaims as one string', { scopeClaims: 'permissions' }, (r) => r.scopeClaims, ['permissions']],
    ['a realm with quotes is escaped later, not refused', { realm: 'my "api"' }, (r) => r.realm, 'my "api"'],
    ['unavailableStatus 504', { unavailableStatus: 504 }, (r) => r.unavailableStatus, 504],
    ['maxTokenAge', { maxTokenAge: 3600 }, (r) => r.maxTokenAge, 3600],
  ])('%s', (_case, extra, pick, expected) => {
    expect(pick(resolve(extra))).toEqual(expected)
  })

  it('claim checks are kept in order', () => {
    const predicate = (value: unknown) => value === 'x'
    expect(resolve({ claims: { tid: { equals: 't' }, groups: { includes: 'staff' }, x: predicate } }).claimChecks).toEqual([
      ['tid', { equals: 't' }],
      ['groups', { includes: 'staff' }],
      ['x', predicate],
    ])
  })
})

describe('resolveOptions: every mistake is a TypeError that says what is wrong', () => {
  it.each<[unknown]>([[undefined], [null], ['https://idp.example.com/']])('options %j', (input) => {
    expect(() => resolveOptions(input as AuthOptions)).toThrow(/^scopeguard: auth\(\) needs an options object/)
  })

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['unknown option', { ...BASE, issuerz: ['x'] }, /unknown option `issuerz`\. Did you mean `issuer`\?/],
    ['unknown option, nothing close', { ...BASE, frobnicate: true }, /unknown option `frobnicate`\. Known options: issuer, audience, jwksUri/],
    ['a misspelt option gets a did-you-mean', { ...BASE, audiance: 'x' }, /Did you mean `audience`\?/],
    ["a peer library's option name gets scopeguard's spelling", { ...BASE, issuerBaseURL: 'x' }, /unknown option `issuerBaseURL`; scopeguard's spelling: `issuer`/],
    ["koa-jwt's passthrough", { ...BASE, passthrough: true }, /`optional: true`/],
    ['RFC 8414 §2: an issuer with a query', { ...BASE, issuer: 'https://idp.example.com/?tenant=a' }, /query or fragment.*RFC 8414 §2/],
    ['RFC 8414 §2: an issuer with a fragment', { ...BASE, issuer: 'https://idp.example.com/#x' }, /query or fragment/],
    ['an async claim check', { ...BASE, claims: { tid: async () => true } }, /`claims.tid` is an async function/],
    ['missing issuer', { audience: 'a' }, /`issuer` is required/],
    ['missing audience', { issuer: 'https://idp.example.com/' }, /`audience` is required/],
  ])('%s', (_case, input, message) => {
    expect(() => resolveOptions(input as unknown as AuthOptions)).toThrow(message)
  })

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['issuer of the wrong type', { issuer: 42 }, /`issuer` must be a non-empty string or a non-empty array of strings; got 42/],
    ['empty issuer', { issuer: '' }, /`issuer` must be a non-empty string .*; got ""/],
    ['empty issuer list', { issuer: [] }, /`issuer` must be .*; got an array/],
    ['issuer list with a non-string', { issuer: ['https://a/', 7] }, /`issuer` must be .*; got an array/],
    ['audience null', { audience: null }, /`audience` must be .*; got null/],
    ['audience object', { audience: { aud: 'x' } }, /`audience` must be .*; got an object/],
    ['jwksUri with keys', { jwksUri: 'https://idp.example.com/jwks', keys: JWK }, /`jwksUri` and `keys` cannot be combined/],
    ['keys with secret', { keys: JWK, secret: SECRET }, /`keys` and `secret` cannot be combined/],
    ['all three key sources', { jwksUri: 'https://x/', keys: JWK, secret: SECRET }, /`jwksUri` and `keys` and `secret` cannot be combined/],
    ['RFC 7518 §3.2: a 31-character secret', { secret: 'k'.repeat(31) }, /`secret` must be at least 32 bytes \(RFC 7518 §3\.2\); got 31/],
    ['RFC 7518 §3.2: a 16-byte Uint8Array', { secret: new Uint8Array(16) }, /`secret` must be at least 32 bytes .*; got 16/],
    ['secret of the wrong type', { secret: 12345 }, /`secret` must be a string or a Uint8Array; got 12345/],
    ['empty keys list', { keys: [] }, /`keys` is an empty list/],
    ['jwksUri not a string', { jwksUri: 42 }, /`jwksUri` must be a URL string; got 42/],
    ['jwksUri with several issuers', { issuer: ['https://a/', 'https://b/'], jwksUri: 'https://a/jwks' }, /`jwksUri` applies to a single issuer/],
    ['jwksUri not absolute', { jwksUri: '/jwks' }, /`jwksUri` is not an absolute URL; got "\/jwks"/],
    ['jwksUri over http', { jwksUri: 'http://idp.example.com/jwks' }, /`jwksUri` must use https \(plain http is accepted only for localhost, or with allowHttp: true\)/],
    ['jwksUri over ftp', { jwksUri: 'ftp://idp.example.com/jwks' }, /`jwksUri` must be an https URL/],
    ['jwksUri with credentials', { jwksUri: 'https://user:pw@idp.example.com/jwks' }, /`jwksUri` must not contain credentials/],
    ['http issuer off loopback without allowHttp', { issuer: 'http://idp.example.com/' }, /`issuer` "http:\/\/idp\.example\.com\/" must use https .*: the keys are found from the issuer's metadata.*Or give `jwksUri`, `keys` or `secret`/],
    ['issuer not a URL with discovery', { issuer: 'idp.example.com' }, /`issuer` "idp\.example\.com" is not an absolute URL: the keys are found/],
    ['RFC 8725 §3.1: "none"', { algorithms: ['RS256', 'none'] }, /`algorithms` must not contain "none"/],
    ['RFC 8725 §3.1: "NONE" in any case', { algorithms: ['NONE'] }, /`algorithms` must not contain "none"/],
    ['RFC 8725 §3.1: "none" with a secret', { secret: SECRET, algorithms: ['none'] }, /`algorithms` must not contain "none"/],
    ['RFC 8725 §2.1: HS256 without a secret', { algorithms: ['HS256'] }, /`algorithms` contains "HS256"; allowed with public keys: RS256, .*HS\* algorithms need the `secret` option/],
    ['RFC 8725 §2.1: RS256 with a secret', { secret: SECRET, algorithms: ['RS256'] }, /`algorithms` contains "RS256", but with `secret` only HS256, HS384, HS512 are allowed/],
    ['an unknown algorithm', { algorithms: ['rs256'] }, /`algorithms` contains "rs256"/],
    ['empty algorithms', { algorithms: [] }, /`algorithms` must be a non-empty string or a non-empty array of strings/],
    ['requiredClaims as a string', { requiredClaims: 'exp' }, /`requiredClaims` must be an array of claim names/],
    ['requiredClaims with an empty name', { requiredClaims: [''] }, /`requiredClaims` must be an array of claim names/],
    ['claims as an array', { claims: [] }, /`claims` must be an object of claim name → check/],
    ['claims check with a non-primitive', { claims: { tid: { equals: {} } } }, /`claims\.tid` must be \{ equals: value \}, \{ includes: value \}/],
    ['claims check with two keys', { claims: { tid: { equals: 'a', includes: 'b' } } }, /`claims\.tid` must be/],
    ['claims check as a bare value', { claims: { tid: 'a' } }, /`claims\.tid` must be/],
    ['empty scopeClaims', { scopeClaims: [] }, /`scopeClaims` must be a non-empty string or a non-empty array of strings/],
    ['RFC 6750 §3: realm with non-ASCII', { realm: 'Bücher' }, /`realm` must be a string of printable ASCII characters; got "Bücher"/],
    ['RFC 6750 §3: realm with CR LF', { realm: 'api\r\nX: y' }, /`realm` must be a string of printable ASCII characters/],
    ['realm not a string', { realm: 42 }, /`realm` must be a string .*; got 42/],
    ['unavailableStatus 501', { unavailableStatus: 501 }, /`unavailableStatus` must be 500, 502, 503 or 504; got 501/],
    ['unavailableStatus as a string', { unavailableStatus: '503' }, /`unavailableStatus` must be 500, 502, 503 or 504; got "503"/],
  ])('%s', (_case, extra, message) => {
    expect(() => resolve(extra)).toThrow(TypeError)
    expect(() => resolve(extra)).toThrow(message)
  })

  it.each(['allowHttp', 'strictRfc9068', 'acceptBodyToken', 'acceptQueryToken', 'optional', 'handleErrors'])(
    '`%s` must be a boolean',
    (name) => {
      expect(() => resolve({ [name]: 'true' })).toThrow(new RegExp(`\`${name}\` must be true or false; got "true"`))
      expect(() => resolve({ [name]: 1 })).toThrow(new RegExp(`\`${name}\` must be true or false; got 1`))
      expect(resolve({ [name]: true })[name as 'optional']).toBe(true)
    },
  )
})

describe('resolveOptions: integer ranges', () => {
  it.each([
    { name: 'clockTolerance', min: 0, max: 300, unit: 'seconds' },
    { name: 'maxTokenAge', min: 1, max: 31_536_000, unit: 'seconds' },
    { name: 'maxTokenLength', min: 16, max: 1_048_576, unit: 'characters' },
    { name: 'retryAfter', min: 0, max: 86_400, unit: 'seconds' },
    { name: 'fetchTimeout', min: 1, max: 120_000, unit: 'milliseconds' },
    { name: 'maxResponseBytes', min: 1024, max: 67_108_864, unit: 'bytes' },
    { name: 'jwksCacheMaxAge', min: 1000, max: 604_800_000, unit: 'milliseconds' },
    { name: 'jwksCooldown', min: 0, max: 86_400_000, unit: 'milliseconds' },
  ])('$name: whole $unit from $min to $max', ({ name, min, max, unit }) => {
    const pick = (value: number) => (resolve({ [name]: value }) as unknown as Record<string, number>)[name]
    expect(pick(min)).toBe(min)
    expect(pick(max)).toBe(max)
    const message = (got: string) => new RegExp(`\`${name}\` must be a whole number of ${unit} from ${min} to ${max}; got ${got}`)
    expect(() => resolve({ [name]: min - 1 })).toThrow(message(String(min - 1)))
    expect(() => resolve({ [name]: max + 1 })).toThrow(message(String(max + 1)))
    expect(() => resolve({ [name]: min + 0.5 })).toThrow(message(String(min + 0.5).replace('.', '\\.')))
    expect(() => resolve({ [name]: Number.NaN })).toThrow(message('NaN'))
    expect(() => resolve({ [name]: String(min) })).toThrow(message(`"${min}"`))
  })
})
