// Hostile DPoP headers on every adapter: whatever the `DPoP` header holds (named broken proofs,
// random bytes, JWS-shaped garbage, several lines), the answer is a 401 (or 400) with a
// well-formed challenge, never a 500, crash, hang or unhandled rejection, and neither the
// proof nor the token is echoed. RFC 9449 §4.3, §7.1.
import { badDpopProofs, createDpopProof, createFakeIssuer, generateDpopKey, type DpopKey, type FakeIssuer } from '@scopeguard/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../support/adapters.js'
import { failOnProcessErrors } from './support/process-guard.js'
import { serve, type WireResponse, type WireServer } from './support/wire.js'

failOnProcessErrors()

const ORIGIN = 'https://api.example.com'
const SEED = Number(process.env.FC_SEED ?? 20_261_203)
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 100)

let issuer: FakeIssuer
let key: DpopKey
let token: string
const servers: { name: string; server: WireServer }[] = []
beforeAll(async () => {
  issuer = await createFakeIssuer()
  key = await generateDpopKey()
  token = await issuer.token({ scope: 'read:appointments', dpop: key })
  for (const adapter of ADAPTERS) {
    servers.push({ name: adapter.name, server: await serve(adapter.app({ issuer: issuer.url, audience: 'https://api.example.com', dpop: { origin: ORIGIN } })) })
  }
})
afterAll(async () => {
  await Promise.all(servers.map(({ server }) => server.close()))
  await issuer.close()
})

function send(server: WireServer, proofs: readonly (string | Uint8Array)[]): Promise<WireResponse> {
  return server.send({ path: '/me', headers: [['Authorization', `DPoP ${token}`], ...proofs.map((proof) => ['DPoP', proof] as const)] })
}

function expectRefused(name: string, res: WireResponse, sent: readonly string[]): void {
  expect([400, 401], `${name}: ${res.status} ${res.text} ${JSON.stringify(sent)}`).toContain(res.status)
  const challenges = res.rawHeaders.filter(([header]) => header.toLowerCase() === 'www-authenticate')
  expect(challenges, name).toHaveLength(1)
  const challenge = (challenges[0] as readonly [string, string])[1]
  expect(challenge, name).toMatch(/^Bearer realm="api", (error="[a-z_]+", error_description="[ -~]+", )?DPoP realm="api", (error="[a-z_]+", error_description="[ -~]+", )?algs="[A-Za-z0-9 ]+"$/)
  expect(() => JSON.parse(res.text) as unknown, name).not.toThrow()
  for (const text of [token, ...sent]) {
    if (text.length >= 12) expect(res.wire.includes(text), `${name} echoes what it was sent`).toBe(false)
  }
}

// Node's own parser answers 400 to control characters in a header before any app runs
// (RFC 9110 §5.5), so values keep to what can reach the application.
function fieldValue(text: string): string {
  return text.replace(/[\x00-\x08\x0A-\x1F\x7F]/g, 'x')
}

describe('hostile DPoP proofs', () => {
  it('every named broken proof is refused on every adapter', async () => {
    const bad = await badDpopProofs({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })
    // wrongNonce matters only where nonces are required; these servers do not require them.
    for (const [name, proof] of Object.entries(bad).filter(([name]) => name !== 'wrongNonce')) {
      for (const { name: adapter, server } of servers) expectRefused(`${adapter}: ${name}`, await send(server, [proof]), [proof])
    }
  })

  it('a proof sent twice in one request, or in two header lines, is refused', async () => {
    const proof = await createDpopProof({ key, method: 'GET', url: `${ORIGIN}/me`, accessToken: token })
    for (const { name, server } of servers) {
      expectRefused(`${name}: two lines`, await send(server, [proof, proof]), [proof])
      expectRefused(`${name}: joined`, await send(server, [`${proof}, ${proof}`]), [proof])
    }
  })

  it('random DPoP header values never get past, never crash, never echo', async () => {
    const segment = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 60 })
    const value = fc.oneof(
      fc.string({ maxLength: 200 }).map(fieldValue),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc.record({ typ: fc.constantFrom('dpop+jwt', 'JWT', 'DPOP+JWT'), alg: fc.constantFrom('ES256', 'none', 'HS256', 'RS256'), jwk: fc.constantFrom(undefined, {}, { kty: 'EC' }, { kty: 'oct', k: 'AAAA' }) })
        .map((header) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.AAAA`),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => fieldValue(Buffer.from(bytes).toString('latin1'))),
    )
    await fc.assert(fc.asyncProperty(value, async (proof) => {
      for (const { name, server } of servers) {
        const res = await send(server, [proof])
        expectRefused(name, res, [proof])
      }
    }), { seed: SEED, numRuns: NUM_RUNS })
  }, 120_000)
})
