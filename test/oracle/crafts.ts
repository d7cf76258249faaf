// Hand-built variants of a scenario's token, re-signed over exactly what is sent: raw header
// and claims text (duplicate members, 1e400, deep nesting, BOM, invalid UTF-8), header
// changes (alg swaps, "none", crit/b64, typ, kid), non-canonical segment spellings, and
// signatures made the wrong way (another primitive, another key, HMAC keyed with the public
// key, high-S ECDSA twins, DER, other PSS salts, truncated or padded bytes).

import fc from 'fast-check'
import { ALL_ALGS, familyOf, isHmac, rawSign, type Alg, type KeyPool, type SignatureMode } from './keys.js'
import { NOW_S, signingKey, type Materialized } from './scenarios.js'
import { b64, BOM, ENCODINGS, membersOf, nestedArray, rawObject, respell, type Encoding } from './tokens.js'

export type BytesTweak = 'bom' | 'leading-space' | 'bad-utf8' | 'trailing-garbage' | 'not-object'

export type SignaturePlan =
  /** The scenario's signer and algorithm, in the given mode. */
  | { readonly kind: 'scenario'; readonly mode: SignatureMode }
  /** The header's alg (when of the signer's kind) with the scenario's signing key. */
  | { readonly kind: 'header-alg-same-key' }
  /** The header's alg with the pool's own key (or secret) for that alg. */
  | { readonly kind: 'header-alg-its-key' }
  /** HMAC (the header's HS alg, else HS256) keyed with the signer's public key PEM or JWK text: key confusion. */
  | { readonly kind: 'hmac-with-public-key'; readonly as: 'pem' | 'jwk' }
  | { readonly kind: 'empty' }

export type SignatureBytesOp = 'drop-last' | 'append-zero' | 'prepend-zero' | 'flip-first-bit' | 'flip-last-bit'

export type Tweak =
  | { readonly t: 'header-alg'; readonly text: string }
  | { readonly t: 'header-member'; readonly name: string; readonly text: string }
  | { readonly t: 'crit'; readonly crit: string; readonly b64: string | undefined }
  | { readonly t: 'header-duplicate-alg'; readonly text: string; readonly position: 'first' | 'last' }
  | { readonly t: 'header-depth'; readonly levels: number }
  | { readonly t: 'header-bytes'; readonly tweak: BytesTweak; readonly replacement: string }
  | { readonly t: 'payload-member'; readonly name: string; readonly text: string }
  | { readonly t: 'payload-duplicate'; readonly name: string; readonly text: string; readonly position: 'first' | 'last' }
  | { readonly t: 'payload-depth'; readonly levels: number }
  | { readonly t: 'payload-bytes'; readonly tweak: BytesTweak; readonly replacement: string }
  | { readonly t: 'encoding'; readonly segment: 0 | 1 | 2; readonly encoding: Encoding }
  | { readonly t: 'sign'; readonly plan: SignaturePlan }
  | { readonly t: 'signature-bytes'; readonly op: SignatureBytesOp }

const json = JSON.stringify
const ALG_TEXTS = [...ALL_ALGS.map((alg) => json(alg)), '"none"', '"None"', '"NONE"', '"nOnE"', '""', 'null', '42', '["RS256"]', '"rs256"', '"ES256K"', '"ML-DSA-44"', '"RS\\u0032\\u0035\\u0036"', '"ES256\\u0000"']
const bytesTweak = fc.constantFrom<BytesTweak>('bom', 'leading-space', 'bad-utf8', 'trailing-garbage', 'not-object')
const notObject = fc.constantFrom('[]', 'null', '"x"', '1', 'true', '', '{}')

const tweak: fc.Arbitrary<Tweak> = fc.oneof(
  fc.constantFrom(...ALG_TEXTS).map((text) => ({ t: 'header-alg' as const, text })),
  fc.record({
    t: fc.constant('header-member' as const),
    name: fc.constantFrom('typ', 'kid', 'cty', 'jku', 'jwk', 'x5u', 'x5c', 'zip', 'b64', 'x-ext', '__proto__', 'crit'),
    text: fc.constantFrom(
      '"JWT"', '"at+jwt"', '"application/at+jwt"', '"id_token+jwt"', '"AT+JWT"', '42', 'null', 'true', 'false', '"b64"', '["b64"]', '[]',
      '{"kty":"oct","k":"c2VjcmV0"}', '"https://evil.example/jwks"', '"DEF"', '"kid-RS256"', '"kid-nobody"', '{"alg":"none"}', '"\\u0000"',
    ),
  }),
  fc.record({
    t: fc.constant('crit' as const),
    crit: fc.constantFrom('["b64"]', '["b64","b64"]', '[]', '["x-ext"]', '"b64"', '["b64","x-ext"]', '[""]', '[null]', '["exp"]'),
    b64: fc.constantFrom(undefined, 'true', 'false', '"true"', '1'),
  }),
  fc.record({ t: fc.constant('header-duplicate-alg' as const), text: fc.constantFrom(...ALG_TEXTS), position: fc.constantFrom('first' as const, 'last' as const) }),
  fc.integer({ min: 29, max: 35 }).map((levels) => ({ t: 'header-depth' as const, levels })),
  fc.record({ t: fc.constant('header-bytes' as const), tweak: bytesTweak, replacement: notObject }),
  fc.record({
    t: fc.constant('payload-member' as const),
    name: fc.constantFrom('exp', 'nbf', 'iat', 'iss', 'aud', 'sub', 'jti', 'client_id', '__proto__', 'x'),
    text: fc.constantFrom(
      '1e400', '-1e400', '1e300', '-1e300', '0', '-0', '1.5', `${NOW_S + 3600}`, `${NOW_S + 3600}.0`, `${(NOW_S + 3600) / 1e9}e9`, `${NOW_S - 3600}`,
      '"x"', 'null', '[]', '{}', '"\\ud800"', `"${'a'.repeat(6500)}"`, '"https://issuer.example"', '["https://api.example.com"]', '{"iss":"https://evil.example"}',
    ),
  }),
  fc.record({
    t: fc.constant('payload-duplicate' as const),
    name: fc.constantFrom('exp', 'nbf', 'iat', 'iss', 'aud', 'sub'),
    text: fc.constantFrom('0', `${NOW_S + 3600}`, `${NOW_S + 7200}`, '"https://evil.example"', '"https://issuer.example"', '"https://api.example.com"', 'null', '1e400'),
    position: fc.constantFrom('first' as const, 'last' as const),
  }),
  fc.integer({ min: 29, max: 35 }).map((levels) => ({ t: 'payload-depth' as const, levels })),
  fc.record({ t: fc.constant('payload-bytes' as const), tweak: bytesTweak, replacement: notObject }),
  fc.record({ t: fc.constant('encoding' as const), segment: fc.constantFrom(0 as const, 1 as const, 2 as const), encoding: fc.constantFrom(...ENCODINGS) }),
  fc.oneof(
    fc.constantFrom<SignatureMode>('natural', 'pss-salt-0', 'pss-salt-max', 'ecdsa-der', 'ecdsa-high-s').map((mode) => ({ kind: 'scenario' as const, mode })),
    fc.constantFrom<SignaturePlan>({ kind: 'header-alg-same-key' }, { kind: 'header-alg-its-key' }, { kind: 'hmac-with-public-key', as: 'pem' }, { kind: 'hmac-with-public-key', as: 'jwk' }, { kind: 'empty' }),
  ).map((plan) => ({ t: 'sign' as const, plan })),
  fc.constantFrom<SignatureBytesOp>('drop-last', 'append-zero', 'prepend-zero', 'flip-first-bit', 'flip-last-bit').map((op) => ({ t: 'signature-bytes' as const, op })),
)

/** One or two deviations from the scenario's token. */
export const tweaks: fc.Arbitrary<readonly Tweak[]> = fc.array(tweak, { minLength: 1, maxLength: 2 })

type Members = [name: string, text: string][]

function setMember(members: Members, name: string, text: string): void {
  const index = members.findIndex(([existing]) => existing === name)
  if (index >= 0) members[index] = [name, text]
  else members.push([name, text])
}

function applyBytes(text: string, tweak: BytesTweak | undefined, replacement: string): Buffer {
  switch (tweak) {
    case undefined: return Buffer.from(text)
    case 'bom': return Buffer.from(BOM + text)
    case 'leading-space': return Buffer.from(` ${text}`)
    case 'trailing-garbage': return Buffer.from(`${text}x`)
    case 'not-object': return Buffer.from(replacement)
    // An invalid UTF-8 sequence (0xC3 0x28) inside a string member.
    case 'bad-utf8': return Buffer.concat([Buffer.from(`${text.slice(0, -1)},"x-bytes":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
  }
}

/** The alg a header's members end up with (the last `alg` member, as JSON.parse reads it). */
function headerAlg(members: Members): unknown {
  const last = members.filter(([name]) => name === 'alg').at(-1)
  try {
    return last === undefined ? undefined : JSON.parse(last[1])
  } catch {
    return undefined
  }
}

function signature(pool: KeyPool, m: Materialized, scenarioAlg: Alg, plan: SignaturePlan, alg: unknown, input: string): Buffer {
  const headerAlgKnown = typeof alg === 'string' && (ALL_ALGS as readonly string[]).includes(alg) ? (alg as Alg) : undefined
  switch (plan.kind) {
    case 'scenario':
      return rawSign(scenarioAlg, signingKey(pool, m.signer), input, plan.mode)
    case 'header-alg-same-key': {
      const usable = headerAlgKnown !== undefined && familyOf(headerAlgKnown) === familyOf(scenarioAlg) ? headerAlgKnown : scenarioAlg
      return rawSign(usable, signingKey(pool, m.signer), input)
    }
    case 'header-alg-its-key': {
      const use = headerAlgKnown ?? scenarioAlg
      return rawSign(use, isHmac(use) ? pool.secrets[use].bytes : pool.keys[use].privateKey, input)
    }
    case 'hmac-with-public-key': {
      const hmacAlg = headerAlgKnown !== undefined && isHmac(headerAlgKnown) ? headerAlgKnown : 'HS256'
      const key = pool.keys[m.signer.kind === 'key' ? m.signer.name : 'RS256']
      const text = plan.as === 'pem' ? key.publicPem : JSON.stringify(key.publicJwk)
      return rawSign(hmacAlg, Buffer.from(text), input)
    }
    case 'empty':
      return Buffer.alloc(0)
  }
}

function applySignatureBytes(bytes: Buffer, op: SignatureBytesOp): Buffer {
  const copy = Buffer.from(bytes)
  switch (op) {
    case 'drop-last': return copy.subarray(0, Math.max(0, copy.length - 1))
    case 'append-zero': return Buffer.concat([copy, Buffer.alloc(1)])
    case 'prepend-zero': return Buffer.concat([Buffer.alloc(1), copy])
    case 'flip-first-bit':
      if (copy.length > 0) copy[0] = (copy[0] as number) ^ 0x80
      return copy
    case 'flip-last-bit':
      if (copy.length > 0) copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01
      return copy
  }
}

/** The scenario's header and claims with `tweaks` applied, signed over exactly the segments sent. */
export function craftToken(pool: KeyPool, m: Materialized, scenarioAlg: Alg, list: readonly Tweak[]): string {
  const header = membersOf(m.header)
  const payload = membersOf(m.claims)
  let headerBytes: { tweak: BytesTweak; replacement: string } | undefined
  let payloadBytes: { tweak: BytesTweak; replacement: string } | undefined
  const encodings: [Encoding, Encoding, Encoding] = ['canonical', 'canonical', 'canonical']
  let plan: SignaturePlan = { kind: 'scenario', mode: 'natural' }
  const signatureOps: SignatureBytesOp[] = []
  for (const change of list) {
    switch (change.t) {
      case 'header-alg': setMember(header, 'alg', change.text); break
      case 'header-member': setMember(header, change.name, change.text); break
      case 'crit':
        setMember(header, 'crit', change.crit)
        if (change.b64 !== undefined) setMember(header, 'b64', change.b64)
        break
      case 'header-duplicate-alg':
        if (change.position === 'first') header.unshift(['alg', change.text])
        else header.push(['alg', change.text])
        break
      case 'header-depth': setMember(header, 'x-nested', nestedArray(change.levels)); break
      case 'header-bytes': headerBytes = change; break
      case 'payload-member': setMember(payload, change.name, change.text); break
      case 'payload-duplicate':
        if (change.position === 'first') payload.unshift([change.name, change.text])
        else payload.push([change.name, change.text])
        break
      case 'payload-depth': setMember(payload, 'x-nested', nestedArray(change.levels)); break
      case 'payload-bytes': payloadBytes = change; break
      case 'encoding': encodings[change.segment] = change.encoding; break
      case 'sign': plan = change.plan; break
      case 'signature-bytes': signatureOps.push(change.op); break
    }
  }
  const headerSegment = respell(b64(applyBytes(rawObject(header), headerBytes?.tweak, headerBytes?.replacement ?? '')), encodings[0])
  const payloadSegment = respell(b64(applyBytes(rawObject(payload), payloadBytes?.tweak, payloadBytes?.replacement ?? '')), encodings[1])
  const input = `${headerSegment}.${payloadSegment}`
  let bytes = signature(pool, m, scenarioAlg, plan, headerAlg(header), input)
  for (const op of signatureOps) bytes = applySignatureBytes(bytes, op)
  return `${input}.${respell(b64(bytes), encodings[2])}`
}
