import { generateKeyPairSync } from 'node:crypto'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { format } from 'node:util'
import createDebug from 'debug'
import * as oauth from 'oauth4webapi'
import Provider, { type ResourceServerInfo } from 'oidc-provider'

// A real authorization server (oidc-provider 9) on a random loopback port, and the small pieces
// the interop tests share: a loopback listener for the API, oauth4webapi as the client, and the
// scopeguard decision log (DEBUG=scopeguard:auth) to read the code behind each answer.

/** The client that gets tokens with the client_credentials grant. */
export const SERVICE_CLIENT = { clientId: 'calendar-service', clientSecret: 'calendar-service-secret-0123456789abcdef' } as const
/** The API's own client at the authorization server, used to introspect tokens. */
export const RESOURCE_SERVER_CLIENT = { clientId: 'calendar-api', clientSecret: 'calendar-api-secret-0123456789abcdef' } as const
/** The same API registered with client_secret_post at the introspection endpoint. */
export const RESOURCE_SERVER_POST_CLIENT = { clientId: 'calendar-api-post', clientSecret: 'calendar-api-post-secret-0123456789abcdef' } as const
/** The same API registered for RFC 9701 signed introspection responses (RS256). */
export const RESOURCE_SERVER_SIGNED_CLIENT = { clientId: 'calendar-api-signed', clientSecret: 'calendar-api-signed-secret-0123456789abcdef' } as const
/** Resource indicator (and `aud`) of the API for which oidc-provider issues opaque tokens. */
export const OPAQUE_API = 'https://calendar.example.com/opaque'
/** Like OPAQUE_API, but its opaque tokens live one second. */
export const SHORT_LIVED_API = 'https://calendar.example.com/short-lived'
/** Resource indicator (and `aud`) of the API for which oidc-provider issues JWT access tokens. */
export const JWT_API = 'https://calendar.example.com/jwt'
export const SCOPES = ['read:appointments', 'write:appointments'] as const
/** The JWS algorithms oidc-provider signs JWT access tokens with here, one resource each. */
export const ACCESS_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'] as const
/** The resource indicator (and `aud`) for which oidc-provider issues JWT access tokens signed with `alg`. */
export const jwtApi = (alg: (typeof ACCESS_TOKEN_ALGORITHMS)[number]): string => `https://calendar.example.com/jwt/${alg.toLowerCase()}`
/** The DPoP proof algorithms oidc-provider accepts here (its default is ES256, Ed25519, EdDSA). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'Ed25519'] as const

const RESOURCE_SERVERS: Readonly<Record<string, ResourceServerInfo>> = {
  [OPAQUE_API]: { audience: OPAQUE_API, scope: SCOPES.join(' '), accessTokenFormat: 'opaque', accessTokenTTL: 600 },
  [SHORT_LIVED_API]: { audience: SHORT_LIVED_API, scope: SCOPES.join(' '), accessTokenFormat: 'opaque', accessTokenTTL: 1 },
  [JWT_API]: { audience: JWT_API, scope: SCOPES.join(' '), accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } },
}

export interface RunningAuthorizationServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash, exactly as oidc-provider's metadata and tokens name it. */
  readonly issuer: string
  /** Every request it received, as `METHOD /path`, in order. */
  readonly requests: string[]
  /** Stops listening and drops open connections; idempotent. */
  stop(): Promise<void>
}

/** A listener bound to 127.0.0.1 on a random port whose handler is set once the port is known. */
export interface LoopbackServer {
  readonly origin: string
  readonly server: Server
  close(): Promise<void>
}

/** Listens on 127.0.0.1:0, then builds the handler from the origin (`http://127.0.0.1:<port>`). */
export async function listenOnLoopback(build: (origin: string) => RequestListener | Promise<RequestListener>): Promise<LoopbackServer> {
  let handler: RequestListener | undefined
  const server = createServer((req, res) => {
    if (handler === undefined) {
      res.statusCode = 503
      res.end()
      return
    }
    handler(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    return closed
  }
  try {
    handler = await build(origin)
  } catch (err) {
    await close()
    throw err
  }
  return { origin, server, close }
}

/**
 * Starts oidc-provider with client_credentials, introspection (plain and RFC 9701 signed),
 * revocation, DPoP and resource indicators: `resource=OPAQUE_API` gets an opaque token,
 * `resource=JWT_API` or `resource=http://127.0.0.1:<port>` an RS256 JWT (`typ: at+jwt`), each
 * with `aud` the resource and the requested scopes the resource allows.
 */
export async function startAuthorizationServer(): Promise<RunningAuthorizationServer> {
  const requests: string[] = []
  // No `alg` on the keys: the RSA key signs RS* and PS*, the OKP key EdDSA and Ed25519.
  const signingKeys = [
    { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'interop-rsa', use: 'sig' },
    { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'interop-p256', use: 'sig' },
    { ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' }), kid: 'interop-p384', use: 'sig' },
    { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'interop-ed25519', use: 'sig' },
  ]
  const listener = await listenOnLoopback((issuer) => {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: SERVICE_CLIENT.clientId,
          client_secret: SERVICE_CLIENT.clientSecret,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: SCOPES.join(' '),
        },
        {
          client_id: RESOURCE_SERVER_CLIENT.clientId,
          client_secret: RESOURCE_SERVER_CLIENT.clientSecret,
          grant_types: [],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: RESOURCE_SERVER_POST_CLIENT.clientId,
          client_secret: RESOURCE_SERVER_POST_CLIENT.clientSecret,
          grant_types: [],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_post',
        },
        {
          client_id: RESOURCE_SERVER_SIGNED_CLIENT.clientId,
          client_secret: RESOURCE_SERVER_SIGNED_CLIENT.clientSecret,
          grant_types: [],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
          introspection_signed_response_alg: 'RS256',
        },
      ],
      jwks: { keys: signingKeys },
      enabledJWA: { dPoPSigningAlgValues: [...DPOP_ALGORITHMS, 'EdDSA'] },
      scopes: ['openid', 'offline_access', ...SCOPES],
      // The resource's accessTokenTTL, as oidc-provider's default does (without its notice).
      ttl: {
        ClientCredentials: (_ctx: unknown, token: { resourceServer?: ResourceServerInfo }) => token.resourceServer?.accessTokenTTL ?? 600,
        AccessToken: (_ctx: unknown, token: { resourceServer?: ResourceServerInfo }) => token.resourceServer?.accessTokenTTL ?? 600,
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        // Only the API's own client may introspect, as a real deployment would configure it.
        introspection: {
          enabled: true,
          allowedPolicy: (_ctx: unknown, client: { clientId: string }) =>
            [RESOURCE_SERVER_CLIENT, RESOURCE_SERVER_POST_CLIENT, RESOURCE_SERVER_SIGNED_CLIENT].some(({ clientId }) => clientId === client.clientId),
        },
        jwtIntrospection: { enabled: true },
        revocation: {
          enabled: true,
          allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) => client.clientId === token.clientId,
        },
        dPoP: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => undefined,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => {
            const info = RESOURCE_SERVERS[resource]
            if (info !== undefined) return info
            const alg = ACCESS_TOKEN_ALGORITHMS.find((candidate) => jwtApi(candidate) === resource)
            if (alg !== undefined) return { audience: resource, scope: SCOPES.join(' '), accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg } } } satisfies ResourceServerInfo
            // An API on a loopback port names itself (RFC 9728 `resource`): JWT access tokens for it.
            if (/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(resource)) {
              return { audience: resource, scope: SCOPES.join(' '), accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } } satisfies ResourceServerInfo
            }
            throw new Error(`unknown resource indicator ${resource}`)
          },
        },
      },
    })
    const callback = provider.callback()
    return (req, res) => {
      requests.push(`${req.method ?? ''} ${new URL(req.url ?? '/', issuer).pathname}`)
      callback(req, res)
    }
  })
  return { issuer: listener.origin, requests, stop: listener.close }
}

/** oauth4webapi options: plain-http loopback URLs, and a timeout on every request. */
export const CLIENT_OPTIONS = { [oauth.allowInsecureRequests]: true, signal: () => AbortSignal.timeout(5000) } as const

/** The authorization server's metadata, through oauth4webapi's discovery. */
export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer)
  return oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, CLIENT_OPTIONS))
}

export const serviceClient: oauth.Client = { client_id: SERVICE_CLIENT.clientId }
export const serviceAuthentication = oauth.ClientSecretBasic(SERVICE_CLIENT.clientSecret)

/** A client_credentials grant for `resource` and `scope`, with a DPoP proof when `DPoP` is given. */
export async function clientCredentials(as: oauth.AuthorizationServer, parameters: { resource: string; scope: string }, DPoP?: oauth.DPoPHandle): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.clientCredentialsGrantRequest(as, serviceClient, serviceAuthentication, parameters, { ...CLIENT_OPTIONS, DPoP })
  return oauth.processClientCredentialsResponse(as, serviceClient, response)
}

/** What oidc-provider's introspection endpoint says about `token`, asked as the API's client. */
export async function introspectAtProvider(as: oauth.AuthorizationServer, token: string): Promise<Record<string, unknown>> {
  const client: oauth.Client = { client_id: RESOURCE_SERVER_CLIENT.clientId }
  const response = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(RESOURCE_SERVER_CLIENT.clientSecret), token, CLIENT_OPTIONS)
  return { ...(await oauth.processIntrospectionResponse(as, client, response)) }
}

/** Revokes `token` at oidc-provider's revocation endpoint (RFC 7009), as the client it was issued to. */
export async function revoke(as: oauth.AuthorizationServer, token: string): Promise<void> {
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, serviceClient, serviceAuthentication, token, CLIENT_OPTIONS))
}

/**
 * The scopeguard decision log (`DEBUG=scopeguard:auth`): one line per decision, e.g.
 * `GET /appointments: 401 token_inactive: …`. Call `stop()` when done.
 */
export function captureDecisions(): { take(): string[]; stop(): void } {
  const lines: string[] = []
  const log = createDebug.log
  createDebug.enable('scopeguard:auth')
  // INTEROP_DECISIONS=1 also prints them, to see what each case decided.
  const echo = process.env.INTEROP_DECISIONS !== undefined
  createDebug.log = (...args: unknown[]) => {
    const line = format(...args)
    lines.push(line)
    if (echo) process.stderr.write(`${line}\n`)
  }
  return {
    take: () => lines.splice(0),
    stop: () => {
      createDebug.disable()
      createDebug.log = log
    },
  }
}
