// Generators for the oracle: a scenario is plain data (algorithm, signer, verifier keys,
// options, header, claims with times relative to the frozen clock), materialised against the
// key pool into a config, a token and the instant to verify it at.

import fc from 'fast-check'
import { SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { ALL_ALGS, familyOf, isHmac, KEY_NAMES, otherKeyOf, rawSign, type Alg, type AsymmetricFamily, type KeyName, type KeyPool } from './keys.js'
import { b64 } from './tokens.js'
import { KEY_FORMS, kidOf, type ConfiguredKey, type KeyForm, type OracleConfig } from './verifiers.js'

/** The frozen "now" of every run, in seconds (2026-01-01T00:00:00Z); each run adds 0-999 ms. */
export const NOW_S = 1_767_225_600

export const ISSUERS = ['https://issuer.example', 'https://issuer.example/', 'https://other-issuer.example'] as const
export const AUDIENCES = ['https://api.example.com', 'https://api.example.com/', 'api://calendar'] as const
export const REQUIRABLE_CLAIMS = ['exp', 'iat', 'nbf', 'sub', 'jti', 'client_id', 'scope'] as const

/** `arb` with weight `defined`, `undefined` with weight `absent`. */
export function sometimes<T>(arb: fc.Arbitrary<T>, defined: number, absent: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: defined, arbitrary: arb }, { weight: absent, arbitrary: fc.constant(undefined) })
}

/** A NumericDate relative to the run's clock and options, so boundaries are hit whatever the tolerance. */
export type TimeSpec =
  | { readonly kind: 'absent' }
  /** anchor + offset + fraction seconds; anchors sit on the accept/reject boundaries. */
  | { readonly kind: 'near'; readonly anchor: 'now' | 'now-tolerance' | 'now+tolerance' | 'now-maxAge-tolerance'; readonly offset: number; readonly fraction: number }
  /** now + seconds. */
  | { readonly kind: 'far'; readonly seconds: number }
  | { readonly kind: 'absolute'; readonly value: number }
  | { readonly kind: 'wrong-type'; readonly value: unknown }

const near = fc.record({
  kind: fc.constant('near' as const),
  anchor: fc.constantFrom('now' as const, 'now-tolerance' as const, 'now+tolerance' as const, 'now-maxAge-tolerance' as const),
  offset: fc.integer({ min: -2, max: 2 }),
  fraction: fc.constantFrom(0, 0, 0, 0.5, 0.999),
})
const far = (min: number, max: number): fc.Arbitrary<TimeSpec> => fc.integer({ min, max }).map((seconds) => ({ kind: 'far' as const, seconds }))
const absent = fc.constant<TimeSpec>({ kind: 'absent' })
const oddNumber = fc.constantFrom(0, -1, 1.5, 1e11, 2 ** 53, 1e300, -1e300).map((value): TimeSpec => ({ kind: 'absolute', value }))
const wrongType = fc.constantFrom<unknown>(String(NOW_S + 3600), null, true, [], {}, '').map((value): TimeSpec => ({ kind: 'wrong-type', value }))

const expSpec: fc.Arbitrary<TimeSpec> = fc.oneof(
  { weight: 10, arbitrary: far(1, 86_400) },
  { weight: 4, arbitrary: near },
  { weight: 1, arbitrary: absent },
  { weight: 1, arbitrary: far(-86_400, -1) },
  { weight: 1, arbitrary: oddNumber },
  { weight: 1, arbitrary: wrongType },
)
const nbfSpec: fc.Arbitrary<TimeSpec> = fc.oneof(
  { weight: 8, arbitrary: absent },
  { weight: 3, arbitrary: near },
  { weight: 1, arbitrary: far(-3600, 3600) },
  { weight: 1, arbitrary: fc.oneof(oddNumber, wrongType) },
)
const iatSpec: fc.Arbitrary<TimeSpec> = fc.oneof(
  { weight: 8, arbitrary: far(-600, 0) },
  { weight: 3, arbitrary: near },
  { weight: 2, arbitrary: absent },
  { weight: 1, arbitrary: far(-86_400, 3600) },
  { weight: 1, arbitrary: fc.oneof(oddNumber, wrongType) },
)

export function resolveTime(spec: TimeSpec, tolerance: number, maxTokenAge: number | undefined): unknown {
  switch (spec.kind) {
    case 'absent': return undefined
    case 'far': return NOW_S + spec.seconds
    case 'absolute': return spec.value
    case 'wrong-type': return spec.value
    case 'near': {
      const anchor = {
        now: NOW_S,
        'now-tolerance': NOW_S - tolerance,
        'now+tolerance': NOW_S + tolerance,
        'now-maxAge-tolerance': NOW_S - (maxTokenAge ?? 600) - tolerance,
      }[spec.anchor]
      return anchor + spec.offset + spec.fraction
    }
  }
}

/** A claim that refers to the configured values (by index) or is given literally. */
export type ValuePlan =
  | { readonly kind: 'configured'; readonly index: number }
  | { readonly kind: 'configured-in-array'; readonly index: number; readonly others: readonly unknown[] }
  | { readonly kind: 'literal'; readonly value: unknown }

const issPlan: fc.Arbitrary<ValuePlan> = fc.oneof(
  { weight: 20, arbitrary: fc.nat(5).map((index) => ({ kind: 'configured' as const, index })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...ISSUERS, 'https://evil.example', 'HTTPS://issuer.example', '').map((value) => ({ kind: 'literal' as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, 42, null, [ISSUERS[0]], {}).map((value) => ({ kind: 'literal' as const, value })) },
)
const audPlan: fc.Arbitrary<ValuePlan> = fc.oneof(
  { weight: 14, arbitrary: fc.nat(5).map((index) => ({ kind: 'configured' as const, index })) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('configured-in-array' as const),
      index: fc.nat(5),
      others: fc.array(fc.constantFrom<unknown>('https://other.example', 42, null, 'API://CALENDAR'), { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...AUDIENCES, 'https://evil.example', [], ['https://evil.example']).map((value) => ({ kind: 'literal' as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, 42, null, {}).map((value) => ({ kind: 'literal' as const, value })) },
)

function resolveValue(plan: ValuePlan, configured: readonly string[]): unknown {
  if (plan.kind === 'literal') return plan.value
  const value = configured[plan.index % configured.length]
  if (plan.kind === 'configured') return value
  const array = [...plan.others]
  array.splice(plan.index % (array.length + 1), 0, value)
  return array
}

const stringish = (strings: readonly string[]): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom<unknown>(...strings) },
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(42, null, ['x'], true) },
)

export interface ClaimsPlan {
  readonly iss: ValuePlan
  readonly aud: ValuePlan
  readonly exp: TimeSpec
  readonly nbf: TimeSpec
  readonly iat: TimeSpec
  readonly sub: unknown
  readonly jti: unknown
  readonly client_id: unknown
  readonly scope: unknown
  /** Extra claims, written before the planned ones (which win on a name clash). */
  readonly extra: Record<string, unknown> | undefined
}

export const claimsPlan: fc.Arbitrary<ClaimsPlan> = fc.record({
  iss: issPlan,
  aud: audPlan,
  exp: expSpec,
  nbf: nbfSpec,
  iat: iatSpec,
  sub: stringish(['user-1', 'client-7', '']),
  jti: stringish(['3f1c8a', 'jti-2']),
  client_id: stringish(['client-7']),
  scope: stringish(['read write', 'openid', '']),
  extra: sometimes(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }), 1, 2),
})

export interface OptionsPlan {
  readonly issuers: readonly string[]
  readonly issuerAsString: boolean
  readonly audiences: readonly string[]
  readonly audienceAsString: boolean
  /** Which of the 14 algorithms (in ALL_ALGS order) the allowlist keeps; only those of the configured kind count. */
  readonly algorithmsMask: readonly boolean[] | undefined
  readonly clockTolerance: number | undefined
  readonly maxTokenAge: number | undefined
  readonly requiredClaims: readonly string[] | undefined
  readonly strictRfc9068: boolean
}

export const optionsPlan: fc.Arbitrary<OptionsPlan> = fc.record({
  issuers: fc.subarray([...ISSUERS], { minLength: 1 }),
  issuerAsString: fc.boolean(),
  audiences: fc.subarray([...AUDIENCES], { minLength: 1 }),
  audienceAsString: fc.boolean(),
  // Each algorithm kept with probability 3/4: most allowlists keep the token's algorithm.
  algorithmsMask: sometimes(fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), { minLength: ALL_ALGS.length, maxLength: ALL_ALGS.length }), 1, 3),
  clockTolerance: sometimes(fc.oneof(fc.constantFrom(0, 1, 5, 60, 300), fc.integer({ min: 0, max: 300 })), 1, 1),
  maxTokenAge: sometimes(fc.oneof(fc.constantFrom(1, 60, 600), fc.integer({ min: 1, max: 86_400 })), 1, 3),
  requiredClaims: sometimes(fc.subarray([...REQUIRABLE_CLAIMS]), 1, 3),
  strictRfc9068: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
})

export interface HeaderPlan {
  readonly typ: unknown
  /** none: no kid; own: the signer key's kid; unknown: a kid no key has; number: a non-string kid. */
  readonly kid: 'none' | 'own' | 'unknown' | 'number'
  readonly extra: Record<string, unknown> | undefined
}

export const headerPlan: fc.Arbitrary<HeaderPlan> = fc.record({
  typ: fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom<unknown>('at+jwt', 'application/at+jwt', undefined, 'JWT', 'at+jwt', 'at+jwt') },
    { weight: 2, arbitrary: fc.constantFrom<unknown>('AT+JWT', 'jwt', 'application/jwt', 'Application/JWT', 'APPLICATION/AT+JWT') },
    { weight: 1, arbitrary: fc.constantFrom<unknown>('id_token+jwt', 'logout+jwt', 'dpop+jwt', 'application/json', '', 'at+jwt ', 'x/at+jwt', 'application/application/at+jwt') },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(42, null, ['at+jwt']) },
  ),
  kid: fc.oneof(
    { weight: 4, arbitrary: fc.constant('none' as const) },
    { weight: 4, arbitrary: fc.constant('own' as const) },
    { weight: 1, arbitrary: fc.constantFrom('unknown' as const, 'number' as const) },
  ),
  extra: sometimes(
    fc.record(
      {
        cty: fc.constantFrom('JWT', 'application/json'),
        jku: fc.constant('https://evil.example/jwks.json'),
        jwk: fc.constant({ kty: 'oct', k: 'c2VjcmV0' }),
        x5u: fc.constant('https://evil.example/cert.pem'),
        'x-custom': fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
    1,
    4,
  ),
})

/** Which keys the verifier is given. `crossFamily` gives an asymmetric token a secret, or an HS token public keys. */
export interface VerifierPlan {
  readonly crossFamily: boolean
  /** How the signing algorithm's own key is configured, if at all. */
  readonly own: KeyForm | 'absent'
  readonly decoys: readonly ConfiguredKey[]
  /** One key given directly rather than in a list. */
  readonly single: boolean
  readonly secretForm: 'string' | 'bytes'
  readonly secretWhich: 'own' | 'other'
}

const configuredKey: fc.Arbitrary<ConfiguredKey> = fc.record({ key: fc.constantFrom(...KEY_NAMES), form: fc.constantFrom(...KEY_FORMS) })

export const verifierPlan: fc.Arbitrary<VerifierPlan> = fc.record({
  crossFamily: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  own: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...KEY_FORMS) }, { weight: 1, arbitrary: fc.constant('absent' as const) }),
  decoys: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(configuredKey, { minLength: 1, maxLength: 2 }) }),
  single: fc.boolean(),
  secretForm: fc.constantFrom('string' as const, 'bytes' as const),
  secretWhich: fc.oneof({ weight: 12, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.constant('other' as const) }),
})

/** own: the algorithm's key; other: another key of its kind; rsa-1024: a too-small RSA key (RS/PS only). */
export type SignerPlan = 'own' | 'other' | 'rsa-1024'
export const signerPlan: fc.Arbitrary<SignerPlan> = fc.oneof(
  { weight: 14, arbitrary: fc.constant('own' as const) },
  { weight: 1, arbitrary: fc.constantFrom('other' as const, 'rsa-1024' as const) },
)

export interface Scenario {
  readonly alg: Alg
  readonly signer: SignerPlan
  readonly verifier: VerifierPlan
  readonly options: OptionsPlan
  readonly header: HeaderPlan
  readonly claims: ClaimsPlan
  /** Milliseconds past NOW_S, so that scopeguard and jose must floor the clock alike. */
  readonly msInSecond: number
}

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  alg: fc.constantFrom(...ALL_ALGS),
  signer: signerPlan,
  verifier: verifierPlan,
  options: optionsPlan,
  header: headerPlan,
  claims: claimsPlan,
  msInSecond: fc.oneof(fc.constantFrom(0, 1, 500, 999), fc.nat(999)),
})

/** What signs: a private key (by pool name) or a secret, always with the scenario's algorithm. */
export type Signer =
  | { readonly kind: 'key'; readonly name: KeyName }
  | { readonly kind: 'secret'; readonly bytes: Uint8Array }

export interface Materialized {
  readonly config: OracleConfig
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
  readonly signer: Signer
  readonly nowMs: number
}

function signerOf(pool: KeyPool, s: Scenario): Signer {
  const family = familyOf(s.alg)
  if (family === 'hmac') return { kind: 'secret', bytes: pool.secrets[s.signer === 'own' ? (s.alg as 'HS256') : 'hmac-other'].bytes }
  if (s.signer === 'other') return { kind: 'key', name: otherKeyOf(family as AsymmetricFamily) }
  if (s.signer === 'rsa-1024' && family === 'rsa') return { kind: 'key', name: 'rsa-1024' }
  return { kind: 'key', name: s.alg as KeyName }
}

/** Turns a scenario into a verifier configuration, a header and claims, against the pool. */
export function materialize(pool: KeyPool, s: Scenario): Materialized {
  const hmac = isHmac(s.alg)
  const signer = signerOf(pool, s)
  const symmetricConfig = hmac !== s.verifier.crossFamily
  let source: OracleConfig['source']
  if (symmetricConfig) {
    const secret = s.verifier.crossFamily ? 'hmac-other' : s.verifier.secretWhich === 'own' ? (s.alg as 'HS256') : 'hmac-other'
    source = { kind: 'secret', secret, form: s.verifier.secretForm }
  } else {
    const keys: ConfiguredKey[] = []
    if (!hmac && s.verifier.own !== 'absent') keys.push({ key: s.alg as KeyName, form: s.verifier.own })
    keys.push(...s.verifier.decoys)
    if (keys.length === 0) keys.push({ key: 'RS256', form: 'jwk' })
    source = { kind: 'keys', keys, single: s.verifier.single }
  }
  const familyAlgs = ALL_ALGS.filter((alg) => isHmac(alg) === symmetricConfig)
  const masked = s.options.algorithmsMask === undefined ? undefined : familyAlgs.filter((alg) => s.options.algorithmsMask?.[ALL_ALGS.indexOf(alg)])
  const o = s.options
  const config: OracleConfig = {
    source,
    issuer: o.issuerAsString && o.issuers.length === 1 ? (o.issuers[0] as string) : o.issuers,
    audience: o.audienceAsString && o.audiences.length === 1 ? (o.audiences[0] as string) : o.audiences,
    ...(masked === undefined || masked.length === 0 ? {} : { algorithms: masked }),
    ...(o.clockTolerance === undefined ? {} : { clockTolerance: o.clockTolerance }),
    ...(o.maxTokenAge === undefined ? {} : { maxTokenAge: o.maxTokenAge }),
    ...(o.requiredClaims === undefined ? {} : { requiredClaims: o.requiredClaims }),
    ...(o.strictRfc9068 ? { strictRfc9068: true } : {}),
  }

  const kid = { none: undefined, own: signer.kind === 'key' ? kidOf(signer.name) : 'kid-secret', unknown: 'kid-nobody', number: 7 }[s.header.kid]
  const header: Record<string, unknown> = { ...s.header.extra, alg: s.alg, typ: s.header.typ, kid }
  const tolerance = o.clockTolerance ?? 5
  const c = s.claims
  const claims: Record<string, unknown> = {
    ...c.extra,
    iss: resolveValue(c.iss, o.issuers),
    aud: resolveValue(c.aud, o.audiences),
    sub: c.sub,
    client_id: c.client_id,
    jti: c.jti,
    scope: c.scope,
    iat: resolveTime(c.iat, tolerance, o.maxTokenAge),
    nbf: resolveTime(c.nbf, tolerance, o.maxTokenAge),
    exp: resolveTime(c.exp, tolerance, o.maxTokenAge),
  }
  for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name]
  for (const name of Object.keys(header)) if (header[name] === undefined) delete header[name]
  return { config, header, claims, signer, nowMs: NOW_S * 1000 + s.msInSecond }
}

export function signingKey(pool: KeyPool, signer: Signer): Parameters<typeof rawSign>[1] {
  return signer.kind === 'secret' ? signer.bytes : pool.keys[signer.name].privateKey
}

/**
 * Signs header and claims as a JWT: jose's SignJWT, except for the 1024-bit RSA key, which
 * jose refuses to sign with (then node:crypto over the same JSON).
 */
export async function signJwt(pool: KeyPool, alg: Alg, signer: Signer, header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  if (signer.kind === 'key' && signer.name === 'rsa-1024') {
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`
    return `${input}.${b64(rawSign(alg, signingKey(pool, signer), input))}`
  }
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader(header as unknown as JWTHeaderParameters)
    .sign(signingKey(pool, signer))
}
