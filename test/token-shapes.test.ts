import type { AuthOptions } from '@scopeguard/core'
import { createFakeIssuer, type FakeIssuer, type FakeIssuerOptions, type SigningAlgorithm, type TokenOptions } from '@scopeguard/testing'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from './support/adapters.js'
import { expectChallenge } from './support/expect-challenge.js'

// Token shapes of the issuers our users run, each sent through the real middleware of every
// adapter, signed by a real fake issuer on 127.0.0.1 and verified through discovery + JWKS.

const API = 'https://api.example.com'

/** One row: an issuer, a token it mints, how `auth()` is configured, and what a route answers. */
interface ShapeCase {
  readonly name: string
  /** Options of the fake issuer; rows with equal options share one issuer. */
  readonly issuer: FakeIssuerOptions
  /** What to mint; a function when the claims depend on the issuer's URL. */
  readonly token: TokenOptions | ((issuer: FakeIssuer) => TokenOptions)
  /** Options beyond `{ issuer: issuer.url, audience: API }`, which they override. */
  readonly auth?: (issuer: FakeIssuer) => Partial<AuthOptions>
  /** A route of ROUTES in test/support/adapters.ts. */
  readonly route: string
  readonly status: 200 | 401 | 403
  /** 200: exactly the scopes `auth` must report. 403: the challenge's `scope` attribute. */
  readonly scopes?: readonly string[] | string
  /** 401: the RFC 6750 error code and the `error_description`, which names the failed check. */
  readonly error?: 'invalid_token'
  readonly description?: string
}

type Shape = Pick<ShapeCase, 'issuer' | 'token' | 'auth'>

// Auth0 RBAC: granted API permissions in `permissions`, OIDC scopes in `scope`, `aud` listing
// the API and the tenant's userinfo endpoint, and an issuer ending in "/" (as the fake issuer's
// root identifier does).
const auth0 = (scopeClaims?: readonly string[]): Shape => ({
  issuer: {},
  token: (issuer) => ({
    audience: [API, `${issuer.url}userinfo`],
    claims: { scope: 'openid profile', permissions: ['read:appointments'], azp: 'auth0-client-id' },
  }),
  auth: () => (scopeClaims === undefined ? {} : { scopeClaims }),
})

// authentik: one issuer per application, under /application/o/<slug>/, OIDC discovery only.
const authentik: Shape = {
  issuer: { path: '/application/o/calendar/', discovery: 'openid', audience: 'calendar-client-id' },
  token: { scope: 'openid email profile read:appointments', claims: { azp: 'calendar-client-id' } },
  auth: () => ({ audience: 'calendar-client-id' }),
}

// Azure AD v2: issuer https://login.microsoftonline.com/<tid>/v2.0 (no trailing slash), `typ: JWT`,
// delegated scopes in a space-delimited `scp`, no `client_id` but `azp`, and the tenant in `tid`.
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const azure = (tid: string): Shape => ({
  issuer: { path: `/${TENANT}/v2.0`, discovery: 'openid', audience: 'api://calendar' },
  token: {
    scope: 'read:appointments',
    scopeStyle: 'scp-string',
    header: { typ: 'JWT' },
    claims: { client_id: undefined, azp: 'azure-client-id', tid, oid: 'object-id-1', ver: '2.0' },
  },
  auth: () => ({ audience: 'api://calendar', claims: { tid: { equals: TENANT } } }),
})

// Keycloak: issuer .../realms/<realm> (no trailing slash), `typ: JWT`, scopes in `scope`,
// roles in `realm_access` / `resource_access`, the client in `azp`.
const keycloak: Shape = {
  issuer: { path: '/realms/calendar', discovery: 'openid' },
  token: {
    scope: 'openid profile email read:appointments',
    header: { typ: 'JWT' },
    claims: {
      azp: 'calendar-web',
      realm_access: { roles: ['offline_access', 'default-roles-calendar'] },
      resource_access: { account: { roles: ['manage-account'] } },
      preferred_username: 'alice',
      typ: 'Bearer',
      client_id: undefined,
    },
  },
}

// Okta custom authorization server: issuer .../oauth2/default (no trailing slash), scopes as an
// `scp` array, the client in `cid`, no `typ` header.
const okta: Shape = {
  issuer: { path: '/oauth2/default', discovery: 'both', audience: 'api://default' },
  token: {
    scope: ['openid', 'read:appointments'],
    scopeStyle: 'scp',
    header: { typ: undefined },
    claims: { cid: 'okta-client-id', uid: '00u1', ver: 1, client_id: undefined },
  },
  auth: () => ({ audience: 'api://default' }),
}

// RFC 9068 strict mode: `typ: at+jwt` and every §2.2 claim required.
const strict = (token: TokenOptions): Shape => ({ issuer: {}, token: { scope: 'read:appointments', ...token }, auth: () => ({ strictRfc9068: true }) })

const ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA']

const CASES: readonly ShapeCase[] = [
  { name: 'Auth0: `permissions` read with scopeClaims [scope, permissions]', ...auth0(['scope', 'permissions']), route: '/appointments', status: 200, scopes: ['openid', 'profile', 'read:appointments'] },
  { name: 'Auth0: a permission not granted → 403', ...auth0(['scope', 'permissions']), route: '/appointments/write', status: 403, scopes: 'read:appointments write:appointments' },
  { name: 'Auth0: default scopeClaims do not read `permissions` → 403', ...auth0(), route: '/appointments', status: 403, scopes: 'read:appointments' },

  { name: 'authentik: issuer under /application/o/calendar/, `scope` string', ...authentik, route: '/appointments', status: 200, scopes: ['openid', 'email', 'profile', 'read:appointments'] },
  { name: 'authentik: a scope not granted → 403', ...authentik, route: '/appointments/write', status: 403, scopes: 'read:appointments write:appointments' },

  { name: 'Azure AD: `scp` string, typ JWT, matching `tid`', ...azure(TENANT), route: '/appointments', status: 200, scopes: ['read:appointments'] },
  { name: 'Azure AD: a scope not granted → 403', ...azure(TENANT), route: '/appointments/write', status: 403, scopes: 'read:appointments write:appointments' },
  { name: 'Azure AD: another tenant\'s `tid` → 401 invalid_token', ...azure('00000000-0000-0000-0000-000000000000'), route: '/appointments', status: 401, error: 'invalid_token', description: 'The access token has an invalid claim' },

  { name: 'Keycloak: `scope` string, typ JWT, azp + realm_access', ...keycloak, route: '/appointments', status: 200, scopes: ['openid', 'profile', 'email', 'read:appointments'] },
  { name: 'Keycloak: a scope not granted → 403', ...keycloak, route: '/appointments/write', status: 403, scopes: 'read:appointments write:appointments' },
  { name: 'Okta: `scp` array, no typ', ...okta, route: '/appointments', status: 200, scopes: ['openid', 'read:appointments'] },
  { name: 'Okta: a scope not granted → 403', ...okta, route: '/appointments/write', status: 403, scopes: 'read:appointments write:appointments' },

  { name: 'RFC 9068 strict: typ at+jwt with every §2.2 claim', ...strict({}), route: '/appointments', status: 200, scopes: ['read:appointments'] },
  { name: 'RFC 9068 strict: typ application/at+jwt', ...strict({ header: { typ: 'application/at+jwt' } }), route: '/appointments', status: 200, scopes: ['read:appointments'] },
  { name: 'RFC 9068 strict: a scope not granted → 403', ...strict({}), route: '/appointments/write', status: 403, scopes: 'read:appointments write:appointments' },
  { name: 'RFC 9068 strict: no client_id → 401', ...strict({ claims: { client_id: undefined } }), route: '/appointments', status: 401, error: 'invalid_token', description: 'The access token lacks a required claim' },
  { name: 'RFC 9068 strict: no jti → 401', ...strict({ claims: { jti: undefined } }), route: '/appointments', status: 401, error: 'invalid_token', description: 'The access token lacks a required claim' },
  { name: 'RFC 9068 strict: typ JWT → 401', ...strict({ header: { typ: 'JWT' } }), route: '/appointments', status: 401, error: 'invalid_token', description: 'The token is not an access token' },
  { name: 'RFC 9068 strict: no typ → 401', ...strict({ header: { typ: undefined } }), route: '/appointments', status: 401, error: 'invalid_token', description: 'The token is not an access token' },

  { name: 'Google: URL scope drive.readonly', issuer: {}, token: { scope: 'openid https://www.googleapis.com/auth/drive.readonly' }, route: '/drive', status: 200, scopes: ['openid', 'https://www.googleapis.com/auth/drive.readonly'] },
  { name: 'Google: drive.file is not drive.readonly → 403', issuer: {}, token: { scope: 'https://www.googleapis.com/auth/drive.file' }, route: '/drive', status: 403, scopes: 'https://www.googleapis.com/auth/drive.readonly' },
  { name: 'Mendix: colon-separated scope mx:user:profile:v1:read', issuer: {}, token: { scope: 'mx:user:profile:v1:read' }, route: '/profile', status: 200, scopes: ['mx:user:profile:v1:read'] },
  { name: 'Mendix: :write is not :read → 403', issuer: {}, token: { scope: 'mx:user:profile:v1:write' }, route: '/profile', status: 403, scopes: 'mx:user:profile:v1:read' },

  ...ALGORITHMS.flatMap((algorithm): ShapeCase[] => [
    { name: `${algorithm} key: granted scope`, issuer: { algorithm }, token: { scope: 'read:appointments' }, route: '/appointments', status: 200, scopes: ['read:appointments'] },
    { name: `${algorithm} key: scope not granted → 403`, issuer: { algorithm }, token: { scope: 'read:appointments' }, route: '/appointments/write', status: 403, scopes: 'read:appointments write:appointments' },
  ]),
]

// Rows with the same issuer options share one issuer across adapters; every app built from
// them does its own discovery, since each auth() has its own cache.
const issuers = new Map<string, Promise<FakeIssuer>>()
function issuerFor(options: FakeIssuerOptions): Promise<FakeIssuer> {
  const key = JSON.stringify(options)
  let issuer = issuers.get(key)
  if (issuer === undefined) {
    issuer = createFakeIssuer(options)
    issuers.set(key, issuer)
  }
  return issuer
}
afterAll(async () => {
  await Promise.all([...issuers.values()].map(async (issuer) => (await issuer).close()))
})

describe.each(ADAPTERS)('$name: token shapes', (adapter) => {
  it.each(CASES)('$name', async (shape) => {
    const issuer = await issuerFor(shape.issuer)
    const app = adapter.app({ issuer: issuer.url, audience: API, ...shape.auth?.(issuer) })
    const token = await issuer.token(typeof shape.token === 'function' ? shape.token(issuer) : shape.token)
    const res = await request(app).get(shape.route).set('Authorization', `Bearer ${token}`)

    if (shape.status === 200) {
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.sub).toBe('user-1')
      expect([...res.body.scopes].sort()).toEqual([...(shape.scopes as readonly string[])].sort())
    } else if (shape.status === 403) {
      expect(expectChallenge(res, 403, 'insufficient_scope').params.scope).toBe(shape.scopes)
    } else {
      expect(expectChallenge(res, 401, shape.error).params.error_description).toBe(shape.description)
    }
  })
})
