// One dedicated witness (or more) per entry of the documented strictness list (strictness.ts):
// jose's jwtVerify accepts the token, scopeguard refuses it with the expected code, the
// classifier puts it under that entry and no other, and its control twin (the same token
// without the deviation) passes both. An entry that stops being true fails here, so the list
// cannot silently rot; a witness-less entry fails too.
//
// Then the neighbouring cases that are NOT strictness entries, because jose agrees: they
// document why the list is as short as it is. And the one deliberate leniency.

import { createLocalJWKSet, errors, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { rawSign, createKeyPool, type Alg, type KeyName, type KeyPool } from './keys.js'
import { judge } from './oracle.js'
import { NOW_S } from './scenarios.js'
import { STRICTNESS, strictnessOf } from './strictness.js'
import { b64, BOM, nestedArray, respell, viewToken, type Encoding } from './tokens.js'
import { joseVerdict, kidOf, publicJwk, scopeguardVerdict, type OracleConfig, type Verdict } from './verifiers.js'

const NOW_MS = NOW_S * 1000 + 400

let pool: KeyPool
beforeAll(async () => {
  pool = await createKeyPool()
  vi.spyOn(Date, 'now').mockImplementation(() => NOW_MS)
}, 60_000)
afterAll(() => {
  vi.restoreAllMocks()
})

const ISSUER = 'https://issuer.example'
const AUDIENCE = 'https://api.example.com'

/** ES256 with its own key as a PEM, default options: the base of most witnesses. */
const ES256_CONFIG: OracleConfig = { source: { kind: 'keys', keys: [{ key: 'ES256', form: 'pem' }], single: true }, issuer: ISSUER, audience: AUDIENCE }
const STRICT_CONFIG: OracleConfig = { ...ES256_CONFIG, strictRfc9068: true }

const header = (extra = ''): string => `{"alg":"ES256","typ":"at+jwt"${extra}}`
const claims = (extra = ''): string =>
  `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"user-1","client_id":"client-7","jti":"j1","iat":${NOW_S - 10},"exp":${NOW_S + 600}${extra}}`

interface Spelling {
  readonly header?: Encoding
  readonly payload?: Encoding
  readonly signature?: Encoding
}

/** header.payload from raw JSON text or bytes, spelled as asked, signed over exactly that; the signature spelled last. */
function token(headerJson: string | Buffer, payloadJson: string | Buffer, spelling: Spelling = {}, alg: Alg = 'ES256', key: KeyName = 'ES256'): string {
  const input = `${respell(b64(headerJson), spelling.header ?? 'canonical')}.${respell(b64(payloadJson), spelling.payload ?? 'canonical')}`
  return `${input}.${respell(b64(rawSign(alg, pool.keys[key].privateKey, input)), spelling.signature ?? 'canonical')}`
}

function hmacToken(secret: Uint8Array, payloadJson: string): string {
  const input = `${b64('{"alg":"HS256","typ":"at+jwt"}')}.${b64(payloadJson)}`
  return `${input}.${b64(rawSign('HS256', secret, input))}`
}

interface Witness {
  readonly label: string
  /** scopeguard's failure code for the witness (or "options refused" for a configuration). */
  readonly code: string
  readonly build: () => { token: string; config: OracleConfig; control: string; controlConfig?: OracleConfig }
}

const SHORT_SECRET = new Uint8Array(16).fill(7)
const LONG_ENOUGH_SECRET = new Uint8Array(32).fill(7)

const WITNESSES: Readonly<Record<string, readonly Witness[]>> = {
  'non-canonical-base64url': [
    { label: '"=" padding on the signature', code: 'token_malformed', build: () => ({ token: token(header(), claims(), { signature: 'pad' }), config: ES256_CONFIG, control: token(header(), claims()) }) },
    { label: 'non-zero unused bits in the signature\'s last character', code: 'token_malformed', build: () => ({ token: token(header(), claims(), { signature: 'dirty-bits' }), config: ES256_CONFIG, control: token(header(), claims()) }) },
    { label: 'a space inside the signature', code: 'authorization_malformed', build: () => ({ token: token(header(), claims(), { signature: 'space' }), config: ES256_CONFIG, control: token(header(), claims()) }) },
    // This header is 40 bytes: 54 characters, the last carrying 4 unused bits, "==" to pad.
    { label: 'non-zero unused bits in the header, signed as sent', code: 'token_malformed', build: () => ({ token: token(header(',"kid":"k"'), claims(), { header: 'dirty-bits' }), config: ES256_CONFIG, control: token(header(',"kid":"k"'), claims()) }) },
    // "=" inside the credential is outside RFC 6750's b64token grammar: refused before the JWS is parsed.
    { label: '"==" padding on the header, signed as sent', code: 'authorization_malformed', build: () => ({ token: token(header(',"kid":"k"'), claims(), { header: 'pad' }), config: ES256_CONFIG, control: token(header(',"kid":"k"'), claims()) }) },
  ],
  'token-too-long': [
    {
      label: 'a 9000-character claim (the token is over 8192 characters)',
      code: 'token_too_long',
      build: () => ({ token: token(header(), claims(`,"x":"${'a'.repeat(9000)}"`)), config: ES256_CONFIG, control: token(header(), claims(`,"x":"${'a'.repeat(5000)}"`)) }),
    },
  ],
  'typ-outside-lenient-set': [
    { label: 'typ id_token+jwt (an ID token)', code: 'token_type_invalid', build: () => ({ token: token('{"alg":"ES256","typ":"id_token+jwt"}', claims()), config: ES256_CONFIG, control: token('{"alg":"ES256","typ":"JWT"}', claims()) }) },
    { label: 'typ logout+jwt', code: 'token_type_invalid', build: () => ({ token: token('{"alg":"ES256","typ":"logout+jwt"}', claims()), config: ES256_CONFIG, control: token('{"alg":"ES256"}', claims()) }) },
    { label: 'typ 42 (not a string)', code: 'token_type_invalid', build: () => ({ token: token('{"alg":"ES256","typ":42}', claims()), config: ES256_CONFIG, control: token('{"alg":"ES256","typ":"application/jwt"}', claims()) }) },
  ],
  'crit-other-than-b64': [
    {
      label: 'crit ["b64","b64"] with b64: true (a repeated name)',
      code: 'token_malformed',
      build: () => ({ token: token(header(',"crit":["b64","b64"],"b64":true'), claims()), config: ES256_CONFIG, control: token(header(',"crit":["b64"],"b64":true'), claims()) }),
    },
  ],
  'json-nesting-deeper-than-32': [
    {
      label: 'claims 33 levels deep (a 32-level array in the top-level object)',
      code: 'token_malformed',
      build: () => ({ token: token(header(), claims(`,"x":${nestedArray(32)}`)), config: ES256_CONFIG, control: token(header(), claims(`,"x":${nestedArray(31)}`)) }),
    },
    {
      label: 'a header 33 levels deep',
      code: 'token_malformed',
      build: () => ({ token: token(header(`,"x":${nestedArray(32)}`), claims()), config: ES256_CONFIG, control: token(header(`,"x":${nestedArray(31)}`), claims()) }),
    },
  ],
  'non-finite-numericdate': [
    { label: 'exp 1e400 (Infinity: never expires for jose)', code: 'claim_invalid', build: () => ({ token: token(header(), claims(',"exp":1e400')), config: ES256_CONFIG, control: token(header(), claims(',"exp":1e300')) }) },
    { label: 'nbf -1e400', code: 'claim_invalid', build: () => ({ token: token(header(), claims(',"nbf":-1e400')), config: ES256_CONFIG, control: token(header(), claims(',"nbf":-1e300')) }) },
    { label: 'iat 1e400 without maxTokenAge', code: 'claim_invalid', build: () => ({ token: token(header(), claims(',"iat":1e400')), config: ES256_CONFIG, control: token(header(), claims(`,"iat":${NOW_S}`)) }) },
  ],
  'iat-in-the-future': [
    { label: 'iat an hour ahead, no maxTokenAge', code: 'token_issued_in_future', build: () => ({ token: token(header(), claims(`,"iat":${NOW_S + 3600}`)), config: ES256_CONFIG, control: token(header(), claims(`,"iat":${NOW_S + 5}`)) }) },
  ],
  'utf8-bom': [
    { label: 'a BOM before the claims JSON', code: 'token_malformed', build: () => ({ token: token(header(), BOM + claims()), config: ES256_CONFIG, control: token(header(), claims()) }) },
    { label: 'a BOM before the header JSON', code: 'token_malformed', build: () => ({ token: token(BOM + header(), claims()), config: ES256_CONFIG, control: token(header(), claims()) }) },
  ],
  'rfc9068-claim-types': [
    { label: 'strict mode, jti 42', code: 'claim_invalid', build: () => ({ token: token(header(), claims(',"jti":42')), config: STRICT_CONFIG, control: token(header(), claims(',"jti":"42"')) }) },
    { label: 'strict mode, client_id ["client-7"]', code: 'claim_invalid', build: () => ({ token: token(header(), claims(',"client_id":["client-7"]')), config: STRICT_CONFIG, control: token(header(), claims()) }) },
    { label: 'strict mode, sub null', code: 'claim_invalid', build: () => ({ token: token(header(), claims(',"sub":null')), config: STRICT_CONFIG, control: token(header(), claims()) }) },
  ],
  'short-hmac-secret': [
    {
      label: 'a 16-byte secret',
      code: 'options refused',
      build: () => ({
        token: hmacToken(SHORT_SECRET, claims()),
        config: { source: { kind: 'secret-bytes', bytes: SHORT_SECRET }, issuer: ISSUER, audience: AUDIENCE },
        control: hmacToken(LONG_ENOUGH_SECRET, claims()),
        controlConfig: { source: { kind: 'secret-bytes', bytes: LONG_ENOUGH_SECRET }, issuer: ISSUER, audience: AUDIENCE },
      }),
    },
  ],
}

const verdicts = async (config: OracleConfig, jwt: string): Promise<[Verdict, Verdict]> =>
  [await scopeguardVerdict(pool, config, jwt), await joseVerdict(pool, config, jwt, NOW_MS)]

const reasonOf = (verdict: Verdict): string => (verdict.ok ? 'accepted' : verdict.reason.startsWith('options refused') ? 'options refused' : verdict.reason)

describe('the documented strictness list', () => {
  it('has a witness for every entry and an entry for every witness', () => {
    expect(Object.keys(WITNESSES).sort()).toEqual(STRICTNESS.map((entry) => entry.id).sort())
    for (const entry of STRICTNESS) expect(WITNESSES[entry.id]?.length, entry.id).toBeGreaterThan(0)
  })

  describe.each(STRICTNESS.map((entry) => [entry.id, entry] as const))('%s', (id, entry) => {
    it.each((WITNESSES[id] ?? []).map((witness) => [witness.label, witness] as const))('%s: jose accepts, scopeguard refuses', async (_label, witness) => {
      const { token: jwt, config, control, controlConfig } = witness.build()
      expect(jwt, 'the witness differs from its control').not.toBe(control)
      const [mine, theirs] = await verdicts(config, jwt)
      expect(theirs, `jose on the witness (${entry.refuses})`).toMatchObject({ ok: true })
      expect(reasonOf(mine), 'scopeguard on the witness').toBe(witness.code)
      expect(strictnessOf(viewToken(jwt), config), 'entries the classifier finds').toEqual([id])
      expect(judge(jwt, config, NOW_MS, mine, theirs)).toBe('strictness')
      // The same token without the deviation: both accept it, so the deviation is what scopeguard refuses.
      const twinConfig = controlConfig ?? config
      const [mineTwin, theirsTwin] = await verdicts(twinConfig, control)
      expect(strictnessOf(viewToken(control), twinConfig)).toEqual([])
      expect(mineTwin, 'scopeguard on the control').toMatchObject({ ok: true })
      expect(theirsTwin, 'jose on the control').toMatchObject({ ok: true })
    })
  })
})

describe('not strictness: jose 6 agrees', () => {
  it('RSA keys under 2048 bits: both refuse (jose checks the modulus length too)', async () => {
    const config: OracleConfig = { source: { kind: 'keys', keys: [{ key: 'rsa-1024', form: 'pem' }], single: true }, issuer: ISSUER, audience: AUDIENCE }
    for (const alg of ['RS256', 'PS256'] as const) {
      const jwt = token(`{"alg":"${alg}","typ":"at+jwt"}`, claims(), {}, alg, 'rsa-1024')
      const [mine, theirs] = await verdicts(config, jwt)
      expect(reasonOf(mine)).toBe('key_unusable')
      expect(theirs).toMatchObject({ ok: false, reason: expect.stringMatching(/2048 bits/) })
      expect(judge(jwt, config, NOW_MS, mine, theirs)).toBe('both-reject')
    }
  })

  it('invalid UTF-8 in the header or claims: both refuse', async () => {
    const bad = Buffer.concat([Buffer.from('{"alg":"ES256","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
    for (const jwt of [token(bad, claims()), token(header(), Buffer.concat([Buffer.from(claims().slice(0, -1) + ',"x":"'), Buffer.from([0xff]), Buffer.from('"}')]))]) {
      const [mine, theirs] = await verdicts(ES256_CONFIG, jwt)
      expect(reasonOf(mine)).toBe('token_malformed')
      expect(theirs.ok).toBe(false)
    }
  })

  it('the standard base64 alphabet ("+", "/") in a segment: both refuse', async () => {
    // Find a signature that has a "-" or "_" to respell (almost every one does).
    let jwt = token(header(), claims(), { signature: 'std-alphabet' })
    while (!/[+/]/.test(jwt)) jwt = token(header(), claims(), { signature: 'std-alphabet' })
    const [mine, theirs] = await verdicts(ES256_CONFIG, jwt)
    expect(mine.ok).toBe(false)
    expect(theirs).toMatchObject({ ok: false, reason: expect.stringMatching(/decode/) })
  })

  it('duplicate member names: both take the last one (RFC 7515 §4, RFC 7519 §4 allow it) and accept alike', async () => {
    const jwt = token('{"alg":"none","alg":"ES256","typ":"at+jwt"}', `{"iss":"https://evil.example",${claims().slice(1, -1)},"exp":1,"exp":${NOW_S + 60}}`)
    const [mine, theirs] = await verdicts(ES256_CONFIG, jwt)
    expect(judge(jwt, ES256_CONFIG, NOW_MS, mine, theirs)).toBe('both-accept')
    expect(mine).toMatchObject({ ok: true, header: { alg: 'ES256' }, claims: { iss: ISSUER, exp: NOW_S + 60 } })
  })

  it('JSON nested exactly 32 levels: both accept', async () => {
    const jwt = token(header(`,"x":${nestedArray(31)}`), claims(`,"x":${nestedArray(31)}`))
    const [mine, theirs] = await verdicts(ES256_CONFIG, jwt)
    expect(judge(jwt, ES256_CONFIG, NOW_MS, mine, theirs)).toBe('both-accept')
  })

  it('the high-S twin (r, n - s) of an ECDSA signature: both accept (JOSE has no low-S rule)', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512'] as const) {
      const input = `${b64(`{"alg":"${alg}","typ":"at+jwt"}`)}.${b64(claims())}`
      const config: OracleConfig = { source: { kind: 'keys', keys: [{ key: alg, form: 'jwk' }], single: true }, issuer: ISSUER, audience: AUDIENCE }
      const original = `${input}.${b64(rawSign(alg, pool.keys[alg].privateKey, input))}`
      const twin = `${input}.${b64(rawSign(alg, pool.keys[alg].privateKey, input, 'ecdsa-high-s'))}`
      for (const jwt of [original, twin]) {
        const [mine, theirs] = await verdicts(config, jwt)
        expect(judge(jwt, config, NOW_MS, mine, theirs)).toBe('both-accept')
      }
    }
  })
})

describe('deliberate leniency (emulated on the jose side of the oracle)', () => {
  it('a key configured without a kid verifies a token whatever kid it names; jose\'s createLocalJWKSet would refuse', async () => {
    const jwt = token(`{"alg":"ES256","typ":"at+jwt","kid":"${kidOf('ES256')}-rotated"}`, claims())
    const [mine, theirs] = await verdicts(ES256_CONFIG, jwt)
    expect(judge(jwt, ES256_CONFIG, NOW_MS, mine, theirs)).toBe('both-accept')
    const jwks = createLocalJWKSet({ keys: [publicJwk(pool, 'ES256')] })
    await expect(jwtVerify(jwt, jwks, { currentDate: new Date(NOW_MS) })).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
  })
})
