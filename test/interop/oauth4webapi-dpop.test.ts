import type { RequestListener } from 'node:http'
import Router from '@koa/router'
import type { AuthOptions } from '@scopeguard/core'
import * as scopeguardExpress from '@scopeguard/express'
import * as scopeguardKoa from '@scopeguard/koa'
import express, { type Request, type Response } from 'express'
import { decodeJwt } from 'jose'
import Koa from 'koa'
import * as oauth from 'oauth4webapi'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  DPOP_ALGORITHMS,
  CLIENT_OPTIONS,
  JWT_API,
  OPAQUE_API,
  RESOURCE_SERVER_CLIENT,
  captureDecisions,
  clientCredentials,
  discover,
  listenOnLoopback,
  serviceClient,
  startAuthorizationServer,
  type LoopbackServer,
  type RunningAuthorizationServer,
} from './interop-support.js'

// DPoP (RFC 9449) end to end with two independent implementations: oidc-provider 9 binds the
// access token to the client's key at its token endpoint, oauth4webapi 3 signs every proof and
// handles nonces, and scopeguard checks them in an Express and a Koa API, each listening on
// 127.0.0.1 with `dpop.origin` its own URL.

const READ = 'read:appointments'
const WRITE = 'write:appointments'

let provider: RunningAuthorizationServer
let as: oauth.AuthorizationServer
let decisions: ReturnType<typeof captureDecisions>
const apis: LoopbackServer[] = []

beforeAll(async () => {
  provider = await startAuthorizationServer()
  as = await discover(provider.issuer)
  decisions = captureDecisions()
})
afterAll(async () => {
  decisions?.stop()
  await Promise.all(apis.map((api) => api.close()))
  await provider?.stop()
})
afterEach(() => {
  decisions.take()
})

type Body = { source: string; scopes: string[]; binding: unknown; sub: unknown }

const FRAMEWORKS: { name: string; app(options: AuthOptions): RequestListener }[] = [
  {
    name: 'express',
    app(options) {
      const app = express()
      app.use(scopeguardExpress.auth(options))
      app.get('/appointments', scopeguardExpress.requireScopes(READ), (req: Request, res: Response) => {
        res.json({ source: scopeguardExpress.requireAuth(req).source, scopes: [...scopeguardExpress.requireAuth(req).scopes], binding: scopeguardExpress.requireAuth(req).binding ?? null, sub: scopeguardExpress.requireAuth(req).claims.sub } satisfies Body)
      })
      app.get('/appointments/:id', scopeguardExpress.requireScopes(READ), (req: Request, res: Response) => {
        res.json({ id: req.params.id })
      })
      app.get('/schedule', scopeguardExpress.requireScopes(WRITE), (_req: Request, res: Response) => {
        res.json({})
      })
      return app as unknown as RequestListener
    },
  },
  {
    name: 'koa',
    app(options) {
      const app = new Koa()
      app.use(scopeguardKoa.auth(options))
      const router = new Router()
      router.get('/appointments', scopeguardKoa.requireScopes(READ), (ctx) => {
        const auth = scopeguardKoa.requireAuth(ctx)
        ctx.body = { source: auth.source, scopes: [...auth.scopes], binding: auth.binding ?? null, sub: auth.claims.sub } satisfies Body
      })
      router.get('/appointments/:id', scopeguardKoa.requireScopes(READ), (ctx) => {
        ctx.body = { id: ctx.params.id }
      })
      router.get('/schedule', scopeguardKoa.requireScopes(WRITE), (ctx) => {
        ctx.body = {}
      })
      app.use(router.routes())
      return app.callback()
    },
  },
]

/** Starts the API on a loopback port, `dpop.origin` being its own URL. */
async function startApi(app: (options: AuthOptions) => RequestListener, options: (origin: string) => AuthOptions): Promise<LoopbackServer> {
  const api = await listenOnLoopback((origin) => app(options(origin)))
  apis.push(api)
  return api
}

/** A new client key and its oauth4webapi DPoP handle (which also keeps the server nonces). */
async function dpopHandle(alg: string = 'ES256'): Promise<oauth.DPoPHandle> {
  return oauth.DPoP(serviceClient, await oauth.generateKeyPair(alg))
}

/** A DPoP-bound access token from oidc-provider's token endpoint. */
async function boundToken(DPoP: oauth.DPoPHandle, resource = JWT_API): Promise<string> {
  const tokens = await clientCredentials(as, { resource, scope: READ }, DPoP)
  expect(tokens.token_type).toBe('dpop')
  return tokens.access_token
}

/** oauth4webapi's protected resource request; a 401/403 with a challenge rejects with WWWAuthenticateChallengeError. */
function call(api: LoopbackServer, token: string, DPoP?: oauth.DPoPHandle, path = '/appointments'): Promise<globalThis.Response> {
  return oauth.protectedResourceRequest(token, 'GET', new URL(path, api.origin), undefined, undefined, { ...CLIENT_OPTIONS, DPoP })
}

async function challengeOf(promise: Promise<unknown>): Promise<oauth.WWWAuthenticateChallengeError> {
  const err = await promise.then(() => undefined, (thrown: unknown) => thrown)
  expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
  return err as oauth.WWWAuthenticateChallengeError
}

describe.each(FRAMEWORKS)('DPoP with oidc-provider and oauth4webapi: $name', ({ app }) => {
  it('a DPoP-bound JWT from oidc-provider → 200, scopeguardExpress.requireAuth(req).binding.jkt is the key\'s thumbprint', async () => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin } }))
    const DPoP = await dpopHandle()
    const jkt = await DPoP.calculateThumbprint()
    const token = await boundToken(DPoP)
    expect(decodeJwt(token).cnf).toEqual({ jkt })

    for (const path of ['/appointments', '/appointments?from=2025-01-01', '/appointments']) {
      const res = await call(api, token, DPoP, path)
      expect(res.status, path).toBe(200)
      const body = (await res.json()) as Body
      expect(body).toEqual({ source: 'jwt', scopes: [READ], binding: { scheme: 'DPoP', jkt }, sub: 'calendar-service' })
    }
  })

  it.each(DPOP_ALGORITHMS)('proofs signed with %s, at oidc-provider\'s token endpoint and at the API → 200', async (alg) => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin } }))
    const DPoP = await dpopHandle(alg)
    const token = await boundToken(DPoP)
    const res = await call(api, token, DPoP)
    expect(res.status, decisions.take().join(' ')).toBe(200)
    expect(((await res.json()) as Body).binding).toEqual({ scheme: 'DPoP', jkt: await DPoP.calculateThumbprint() })
  })

  it('htu for paths the client percent-encodes (or not) as WHATWG URL does: the proof matches the request line', async () => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin } }))
    const DPoP = await dpopHandle()
    const token = await boundToken(DPoP)
    for (const id of ['caf\u00e9', 'a b', '%7Euser', '%7euser', 'a%2Fb', 'a|b', '2025-01-01T10:00', "o'clock", 'x;y=1', '@team']) {
      const path = `/appointments/${id}`
      const res = await call(api, token, DPoP, path).catch((err: unknown) => err)
      expect(res instanceof globalThis.Response ? res.status : `${String(res)} ${decisions.take().join(' ')}`, path).toBe(200)
    }
  })

  it('dpop.nonce: the first request gets 401 use_dpop_nonce with a DPoP-Nonce; oauth4webapi retries once with it → 200', async () => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin, nonce: true } }))
    const DPoP = await dpopHandle()
    const token = await boundToken(DPoP)

    const err = await challengeOf(call(api, token, DPoP))
    expect(err.status).toBe(401)
    expect(oauth.isDPoPNonceError(err)).toBe(true)
    expect(err.response.headers.get('dpop-nonce')).toMatch(/^[\w-]+$/)
    expect(err.cause.find((challenge) => challenge.scheme === 'dpop')?.parameters.error).toBe('use_dpop_nonce')
    expect(decisions.take().at(-1)).toMatch(/401 dpop_proof_nonce_invalid/)

    const retried = await call(api, token, DPoP)
    expect(retried.status).toBe(200)
    expect(((await retried.json()) as Body).binding).toEqual({ scheme: 'DPoP', jkt: await DPoP.calculateThumbprint() })
    // Every answer to a DPoP request carries the current nonce, so the next call needs no retry.
    expect(retried.headers.get('dpop-nonce')).toMatch(/^[\w-]+$/)
    expect((await call(api, token, DPoP)).status).toBe(200)
  })

  it('a proof replayed verbatim (captured from oauth4webapi\'s request) → 401 invalid_dpop_proof (dpop_proof_replayed)', async () => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin } }))
    const DPoP = await dpopHandle()
    const token = await boundToken(DPoP)
    let sent: { url: string; headers: Record<string, string> } | undefined
    const res = await oauth.protectedResourceRequest(token, 'GET', new URL('/appointments', api.origin), undefined, undefined, {
      ...CLIENT_OPTIONS,
      DPoP,
      [oauth.customFetch]: (url, init) => {
        sent = { url, headers: init.headers }
        return fetch(url, init)
      },
    })
    expect(res.status).toBe(200)
    expect(sent?.headers.dpop).toBeDefined()

    const replayed = await fetch(sent?.url ?? '', { headers: sent?.headers, signal: AbortSignal.timeout(5000) })
    expect(replayed.status).toBe(401)
    expect(replayed.headers.get('www-authenticate')).toMatch(/DPoP .*error="invalid_dpop_proof"/)
    expect(decisions.take().at(-1)).toMatch(/401 dpop_proof_replayed/)
  })

  it('the DPoP-bound token sent as a plain Bearer token → 401 invalid_token (token_bound_to_key)', async () => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin } }))
    const DPoP = await dpopHandle()
    const token = await boundToken(DPoP)
    expect((await call(api, token, DPoP)).status).toBe(200)

    // No DPoP handle: oauth4webapi sends `Authorization: Bearer <token>` and no proof.
    const err = await challengeOf(call(api, token))
    expect(err.status).toBe(401)
    expect(oauth.isDPoPNonceError(err)).toBe(false)
    expect(err.cause.map((challenge) => challenge.scheme)).toEqual(['bearer', 'dpop'])
    expect(err.cause.find((challenge) => challenge.scheme === 'bearer')?.parameters.error).toBe('invalid_token')
    expect(decisions.take().at(-1)).toMatch(/401 token_bound_to_key/)
  })

  it('a proof signed with another key → 401 (the token is bound to the first one)', async () => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin } }))
    const token = await boundToken(await dpopHandle())
    const err = await challengeOf(call(api, token, await dpopHandle()))
    expect(err.status).toBe(401)
    expect(err.cause.find((challenge) => challenge.scheme === 'dpop')?.parameters.error).toBe('invalid_token')
    expect(decisions.take().at(-1)).toMatch(/401 dpop_key_mismatch/)
  })

  it('a DPoP-bound opaque token: oidc-provider\'s introspection gives cnf.jkt (RFC 9449 §6.2) → 200 with the proof, 401 as Bearer', async () => {
    const api = await startApi(app, (origin) => ({
      issuer: provider.issuer,
      audience: OPAQUE_API,
      dpop: { origin },
      introspection: { ...RESOURCE_SERVER_CLIENT },
    }))
    const DPoP = await dpopHandle()
    const token = await boundToken(DPoP, OPAQUE_API)
    expect(token.split('.')).toHaveLength(1)

    const res = await call(api, token, DPoP)
    expect(res.status).toBe(200)
    expect((await res.json()) as Body).toEqual({ source: 'introspection', scopes: [READ], binding: { scheme: 'DPoP', jkt: await DPoP.calculateThumbprint() }, sub: undefined })

    const err = await challengeOf(call(api, token))
    expect(err.status).toBe(401)
    expect(decisions.take().at(-1)).toMatch(/401 token_bound_to_key/)
  })

  it('an unbound token (issued without a proof) sent by a client holding a DPoP key → 401 token_not_bound', async () => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin } }))
    const tokens = await clientCredentials(as, { resource: JWT_API, scope: READ })
    expect(tokens.token_type).toBe('bearer')
    // With a DPoP handle oauth4webapi always uses the DPoP scheme.
    const err = await challengeOf(call(api, tokens.access_token, await dpopHandle()))
    expect(err.status).toBe(401)
    expect(decisions.take().at(-1)).toMatch(/401 token_not_bound/)
    // The same token as a Bearer token is fine (dpop.mode 'allowed').
    expect((await call(api, tokens.access_token)).status).toBe(200)
  })

  it('a DPoP-bound token short of the scope → 403 insufficient_scope, in the DPoP challenge', async () => {
    const api = await startApi(app, (origin) => ({ issuer: provider.issuer, audience: JWT_API, dpop: { origin } }))
    const DPoP = await dpopHandle()
    const token = await boundToken(DPoP)
    const err = await challengeOf(call(api, token, DPoP, '/schedule'))
    expect(err.status).toBe(403)
    const dpop = err.cause.find((challenge) => challenge.scheme === 'dpop')
    expect(dpop?.parameters.error).toBe('insufficient_scope')
    expect(dpop?.parameters.scope).toBe(WRITE)
  })

  it('RFC 9728: oauth4webapi finds the authorization server from the API, gets a token for it with DPoP, and calls it', async () => {
    const api = await startApi(app, (origin) => ({
      issuer: provider.issuer,
      audience: origin,
      resourceMetadata: { resource: origin },
      dpop: { mode: 'required' },
    }))
    const resource = new URL(api.origin)
    const metadata = await oauth.processResourceDiscoveryResponse(resource, await oauth.resourceDiscoveryRequest(resource, CLIENT_OPTIONS))
    expect(metadata.authorization_servers).toEqual([provider.issuer])
    expect(metadata.dpop_bound_access_tokens_required).toBe(true)
    expect(metadata.dpop_signing_alg_values_supported).toContain('ES256')

    const server = await discover(String(metadata.authorization_servers?.[0]))
    const DPoP = await dpopHandle()
    const tokens = await clientCredentials(server, { resource: metadata.resource, scope: READ }, DPoP)
    expect(tokens.token_type).toBe('dpop')
    const res = await call(api, tokens.access_token, DPoP)
    expect(res.status).toBe(200)
    expect(((await res.json()) as Body).binding).toEqual({ scheme: 'DPoP', jkt: await DPoP.calculateThumbprint() })

    // dpop.mode 'required': the same API refuses a bearer token outright.
    const bearer = await clientCredentials(server, { resource: metadata.resource, scope: READ })
    const err = await challengeOf(call(api, bearer.access_token))
    expect(err.status).toBe(401)
    expect(err.cause.map((challenge) => challenge.scheme)).toEqual(['dpop'])
  })
})
