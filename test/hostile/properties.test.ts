// Property-based hostile input: random Authorization headers, random compact tokens, and
// mutations of a valid token, thrown at every adapter (Express 4 and 5, Koa 2 and 3) over
// real HTTP. The invariant of issue 5 must hold for each: a 400/401/403 from scopeguard or a
// 400/431 from Node, a single well-formed challenge from fixed text, no echo of what was
// sent, no handler run; or, for a mutation that decodes to exactly the original token's
// bytes, a 200 for the original caller. Never a 500, a hang or an unhandled rejection.
//
// Runs are deterministic by default: a fixed seed and 150 runs per property, under ten
// seconds for the file on an idle machine. To search longer or elsewhere, locally:
//
//   FC_NUM_RUNS=5000 npx vitest run test/hostile/properties.test.ts
//   FC_SEED=1234 FC_NUM_RUNS=2000 npx vitest run test/hostile/properties.test.ts
//
// A failure prints fast-check's seed and path; replay it exactly with FC_SEED=<seed> FC_PATH=<path>.

import { randomBytes } from 'node:crypto'
import { createFakeIssuer, type FakeIssuer } from '@scopeguard/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { b64, b64json, segments } from './support/jws.js'
import { failOnProcessErrors } from './support/process-guard.js'
import { ANY_REJECTION, expectRejected, tokenStrings } from './support/rejection.js'
import { serve, type WireResponse, type WireServer } from './support/wire.js'

failOnProcessErrors()

const SEED = Number(process.env.FC_SEED ?? 20_260_605)
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 150)
const PATH = process.env.FC_PATH
const RUN = { seed: SEED, numRuns: NUM_RUNS, ...(PATH === undefined ? {} : { path: PATH }) }
// Each run sends one request to each of the four adapters: ~10 ms idle, far more on a busy CI box.
const TIMEOUT = Math.max(30_000, NUM_RUNS * 100)

let issuer: FakeIssuer
let valid: string
let validClaims: Record<string, unknown>
const servers: { name: string; server: WireServer }[] = []
beforeAll(async () => {
  issuer = await createFakeIssuer()
  valid = await issuer.token({ scope: 'read:appointments' })
  validClaims = JSON.parse(Buffer.from(segments(valid)[1], 'base64url').toString()) as Record<string, unknown>
  for (const adapter of ADAPTERS) {
    servers.push({ name: adapter.name, server: await serve(adapter.app({ issuer: issuer.url, audience: 'https://api.example.com' })) })
  }
})
afterAll(async () => {
  await Promise.all(servers.map(({ server }) => server.close()))
  await issuer.close()
})

/** Sends the same Authorization lines to /me on every adapter. */
async function everywhere(lines: readonly (string | Uint8Array)[]): Promise<{ name: string; res: WireResponse }[]> {
  return Promise.all(servers.map(async ({ name, server }) => ({
    name,
    res: await server.send({ path: '/me', headers: lines.map((value) => ['Authorization', value] as const) }),
  })))
}

/** What an echo would show: each value sent, and its dot-separated parts. */
function sentStrings(lines: readonly (string | Uint8Array)[]): string[] {
  return lines
    .map((value) => (typeof value === 'string' ? value : Buffer.from(value).toString('latin1')))
    .flatMap((value) => [value, ...tokenStrings(value.replace(/^\S*\s*/, ''))])
    // Short strings turn up in any answer by chance ("Bearer", "token").
    .filter((text) => text.length >= 12)
}

function expectRejectedEverywhere(results: { name: string; res: WireResponse }[], sent: readonly string[]): void {
  for (const { name, res } of results) {
    try {
      expectRejected(res, ANY_REJECTION, sent)
    } catch (error) {
      throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}

const B64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
// Characters a mutation may write: base64url, the rest of b64token, JWS framing, and bytes
// that must never be accepted (space, tab, quotes, non-ASCII, NUL and other controls; not
// CR or LF, which would end the header line and make it another request altogether).
const MUTATION_CHARS = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...B64URL) },
  { weight: 3, arbitrary: fc.constantFrom('.', '=', '+', '/', '~') },
  { weight: 2, arbitrary: fc.constantFrom(' ', '\t', '"', ',', ';', '\\', '%', '\u00A0', '\u00E9', '\u200B', '\uFEFF', '\u0000', '\u0001', '\u007F') },
)
// Header and payload members an attacker would try.
const HOSTILE_HEADER = fc.record(
  {
    alg: fc.constantFrom('none', 'None', 'NONE', 'nOnE', 'none ', 'HS256', 'HS512', 'RS256', 'ES256', 'PS256', 'EdDSA', '', null, 0),
    typ: fc.constantFrom('at+jwt', 'JWT', 'id_token+jwt', '', null),
    kid: fc.oneof(fc.constantFrom('__proto__', 'constructor', '../../etc/passwd', "' OR 1=1 --"), fc.string({ maxLength: 40 })),
    crit: fc.constantFrom([], ['b64'], ['x-unknown'], 'b64', ['__proto__']),
    b64: fc.boolean(),
    jku: fc.constant('https://evil.example.com/jwks.json'),
    jwk: fc.constant({ kty: 'oct', k: 'c2VjcmV0' }),
    cty: fc.constant('JWT'),
  },
  { requiredKeys: [] },
)
const HOSTILE_CLAIMS = fc.dictionary(
  fc.constantFrom('iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'scope', 'scp', 'typ', '__proto__', 'constructor', 'x'),
  fc.jsonValue({ maxDepth: 3 }),
)

/** A change to a token, named so that a counterexample reads as what was done. */
type Mutation = ((token: string) => string) & { [fc.toStringMethod]: () => string }
const mutation = (label: string, apply: (token: string) => string): Mutation => Object.assign(apply, { [fc.toStringMethod]: () => label })
const at = (token: string, index: number): number => (token.length === 0 ? 0 : index % (token.length + 1))
/** The JSON of a segment, or `{}` when an earlier mutation left none. */
const decoded = (segment: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString())
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), MUTATION_CHARS).map(([i, c]) => mutation(`replace char ${i} with ${JSON.stringify(c)}`, (t) => `${t.slice(0, at(t, i))}${c}${t.slice(at(t, i) + 1)}`)),
  fc.tuple(fc.nat(), MUTATION_CHARS).map(([i, c]) => mutation(`insert ${JSON.stringify(c)} at ${i}`, (t) => `${t.slice(0, at(t, i))}${c}${t.slice(at(t, i))}`)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([i, n]) => mutation(`delete ${n} chars at ${i}`, (t) => `${t.slice(0, at(t, i))}${t.slice(at(t, i) + n)}`)),
  fc.nat().map((i) => mutation(`truncate at ${i}`, (t) => t.slice(0, at(t, i)))),
  fc.constantFrom(
    mutation('swap header and payload', (t) => { const [h, p, s] = segments(t); return `${p}.${h}.${s}` }),
    mutation('swap payload and signature', (t) => { const [h, p, s] = segments(t); return `${h}.${s}.${p}` }),
    mutation('header as signature', (t) => { const [h, p] = segments(t); return `${h}.${p}.${h}` }),
    mutation('signature twice', (t) => { const [h, p, s] = segments(t); return `${h}.${p}.${s}.${s}` }),
    mutation('drop the payload', (t) => { const [h, , s] = segments(t); return `${h}.${s}` }),
    mutation('append "="', (t) => `${t}=`),
    mutation('append "=="', (t) => `${t}==`),
    mutation('upper-case', (t) => t.toUpperCase()),
  ),
  fc.jsonValue({ maxDepth: 4 }).map((json) => mutation(`header := ${JSON.stringify(json)}`, (t) => { const [, p, s] = segments(t); return `${b64json(json)}.${p}.${s}` })),
  fc.jsonValue({ maxDepth: 4 }).map((json) => mutation(`payload := ${JSON.stringify(json)}`, (t) => { const [h, , s] = segments(t); return `${h}.${b64json(json)}.${s}` })),
  HOSTILE_HEADER.map((members) => mutation(`header += ${JSON.stringify(members)}`, (t) => {
    const [h, p, s] = segments(t)
    return `${b64json({ ...decoded(h), ...members })}.${p}.${s}`
  })),
  HOSTILE_CLAIMS.map((members) => {
    // Raw JSON text, so "__proto__" stays a member name instead of setting a prototype.
    const extra = Object.entries(members).map(([name, value]) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`).join('')
    return mutation(`payload += ${extra.slice(1)}`, (t) => {
      const [h, p, s] = segments(t)
      const claims = JSON.stringify(decoded(p))
      return `${h}.${b64(claims === '{}' ? `{${extra.slice(1)}}` : `${claims.slice(0, -1)}${extra}}`)}.${s}`
    })
  }),
)

/** Whether `token` carries the very bytes of `original`: three segments decoding alike. */
function sameBytes(token: string, original: string): boolean {
  const mine = token.split('.')
  const theirs = original.split('.')
  return mine.length === 3 && mine.every((part, i) => Buffer.from(part, 'base64url').equals(Buffer.from(theirs[i] as string, 'base64url')))
}

describe('properties: hostile input at every adapter', () => {
  it('random Authorization bytes (any byte but CR and LF, one to three lines) are all refused', async () => {
    const line = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((bytes) => bytes.filter((byte) => byte !== 0x0d && byte !== 0x0a)),
      fc.string({ unit: 'binary', maxLength: 200 }).map((text) => `Bearer ${text.replace(/[\r\n]/g, '')}`),
      fc.string({ unit: fc.constantFrom(...B64URL, '.', '=', '+', '/', '~', ' ', '\t'), maxLength: 300 }).map((text) => `Bearer ${text}`),
      fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'DPoP', 'Bearer,', 'Bearer\t', ''), fc.string({ maxLength: 100 })).map(([scheme, rest]) => `${scheme} ${rest}`),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 3 }), async (lines) => {
        expectRejectedEverywhere(await everywhere(lines), sentStrings(lines))
      }),
      RUN,
    )
  }, TIMEOUT)

  it('random compact tokens (random JSON header and payload, random signature) are all refused', async () => {
    const part = fc.oneof(fc.jsonValue({ maxDepth: 4 }).map(b64json), HOSTILE_HEADER.map(b64json), HOSTILE_CLAIMS.map(b64json), fc.uint8Array({ maxLength: 64 }).map(b64))
    await fc.assert(
      fc.asyncProperty(part, part, fc.nat({ max: 600 }), async (header, payload, signatureBytes) => {
        const token = `${header}.${payload}.${b64(randomBytes(signatureBytes))}`
        expectRejectedEverywhere(await everywhere([`Bearer ${token}`]), sentStrings([token]))
      }),
      RUN,
    )
  }, TIMEOUT)

  it('mutations of a valid token are refused, unless they decode to its very bytes (then 200 for its caller)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(MUTATION, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const token = mutations.reduce((current, mutate) => mutate(current), valid)
        const results = await everywhere([`Bearer ${token}`])
        if (token !== valid && !sameBytes(token, valid)) {
          expectRejectedEverywhere(results, sentStrings([token]))
          return
        }
        // Only the original credential, however it is spelled, may pass: as its own caller.
        for (const { name, res } of results) {
          if (res.status === 200) {
            expect((res.body.auth as { claims: unknown }).claims, name).toEqual(validClaims)
          } else {
            expectRejected(res, ANY_REJECTION, [])
          }
        }
      }),
      RUN,
    )
  }, TIMEOUT)
})
