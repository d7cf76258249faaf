import type { ReplayStore } from '../sender/replay-store.js'
import { DEFAULT_ALGORITHMS } from './algorithms.js'
import { fail, integer, show } from './validate.js'

/**
 * The `dpop` option of `auth()`: DPoP-bound access tokens (RFC 9449). On by default
 * (`'allowed'`) once scopeguard knows the URL clients call, from `origin` or
 * `resourceMetadata.resource`: a proof names that URL (`htu`), and it is never taken from the
 * request's `Host` or `X-Forwarded-*` headers, which the client controls.
 */
export interface DpopOptions {
  /**
   * `'allowed'` (default): DPoP-bound tokens must come with a valid proof and the `DPoP`
   * scheme, and bearer tokens are still accepted. `'required'`: only DPoP-bound tokens.
   * `'off'`: the `DPoP` scheme is not accepted, and a DPoP-bound token is refused.
   */
  mode?: 'allowed' | 'required' | 'off'
  /**
   * The public origin clients call, e.g. `'https://api.example.com'`, optionally with the path
   * prefix a proxy strips (`'https://example.com/api'`). A proof's `htu` must be this plus the
   * request path. Default: the origin of `resourceMetadata.resource`.
   */
  origin?: string
  /** Accepted proof algorithms (asymmetric only, RFC 9449 §4.2). Default: the same list as `algorithms`' default. */
  algorithms?: readonly string[]
  /** How old a proof's `iat` may be, in seconds. Default 300. */
  maxAge?: number
  /** How far in the future a proof's `iat` may be (the client's clock running ahead), in seconds. Default 30. */
  clockSkew?: number
  /** Longest accepted `DPoP` header, in characters, checked before parsing. Default 4096. */
  maxProofLength?: number
  /**
   * Server nonces (RFC 9449 §9): proofs must carry a recent `nonce` the API handed out in a
   * `DPoP-Nonce` header. Stateless: a nonce is a time window authenticated with `secret`, so
   * every instance given the same secret accepts the others' nonces. `true` uses a random
   * secret (one instance only). Default off.
   */
  nonce?: boolean | { secret?: string | Uint8Array; lifetime?: number }
  /**
   * Where proof identifiers are recorded so that each proof is used once (RFC 9449 §11.1).
   * Default: in this process's memory. Several instances need a shared store, e.g.
   * `createRedisReplayStore()` from `@scopeguard/redis`.
   */
  replayStore?: ReplayStore
}

/** The `mtls` option of `auth()`: certificate-bound access tokens (RFC 8705 §3). */
export interface MtlsOptions {
  /**
   * Where the client certificate comes from. `'tls'` (default): the TLS connection itself
   * (the server must ask for certificates: `requestCert: true`). `'client-cert-header'`: the
   * RFC 9440 `Client-Cert` header set by a TLS-terminating proxy; only when every request
   * reaches the API through that proxy, which must remove any `Client-Cert` a client sends.
   */
  certificateFrom?: 'tls' | 'client-cert-header'
}

/** `dpop` after validation. */
export interface ResolvedDpop {
  readonly mode: 'allowed' | 'required' | 'off'
  /** Where `htu` is anchored; undefined when DPoP cannot be checked (mode is then 'off' in effect). */
  readonly origin: string | undefined
  readonly algorithms: readonly string[]
  readonly maxAge: number
  readonly clockSkew: number
  readonly maxProofLength: number
  readonly nonce: { readonly secret: string | Uint8Array | undefined; readonly lifetime: number } | undefined
  readonly replayStore: ReplayStore | undefined
}

/** `mtls` after validation; `configured` says whether the user asked for it (metadata advertises it then). */
export interface ResolvedMtls {
  readonly configured: boolean
  readonly certificateFrom: 'tls' | 'client-cert-header'
}

const DPOP_KEYS = ['mode', 'origin', 'algorithms', 'maxAge', 'clockSkew', 'maxProofLength', 'nonce', 'replayStore']

/** Validates `dpop`; `resource` is `resourceMetadata.resource`, the default origin. */
export function resolveDpop(value: unknown, resource: string | undefined, allowHttp: boolean): ResolvedDpop {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    fail(`\`dpop\` must be an object, e.g. dpop: { mode: 'required', origin: 'https://api.example.com' }; got ${show(value)}.`)
  }
  const input = (value ?? {}) as Record<string, unknown>
  for (const key of Object.keys(input)) {
    if (!DPOP_KEYS.includes(key)) fail(`unknown \`dpop\` setting \`${key}\`; known: ${DPOP_KEYS.join(', ')}.`)
  }
  const mode = input.mode ?? 'allowed'
  if (mode !== 'allowed' && mode !== 'required' && mode !== 'off') fail(`\`dpop.mode\` must be 'allowed', 'required' or 'off'; got ${show(input.mode)}.`)
  let origin: string | undefined
  if (input.origin !== undefined) origin = checkOrigin(input.origin, allowHttp)
  else if (resource !== undefined) origin = new URL(resource).origin
  if (mode === 'required' && origin === undefined) {
    fail("`dpop.mode: 'required'` needs the URL clients call, to check each proof's `htu`: give `dpop.origin`, e.g. origin: 'https://api.example.com', or `resourceMetadata.resource`.")
  }
  let algorithms: readonly string[] = DEFAULT_ALGORITHMS
  if (input.algorithms !== undefined) {
    const list = input.algorithms
    if (!Array.isArray(list) || list.length === 0) fail(`\`dpop.algorithms\` must be a non-empty array, e.g. ['ES256']; got ${show(list)}.`)
    for (const alg of list) {
      // RFC 9449 §4.2: "MUST NOT be none or an identifier for a symmetric algorithm".
      if (!(DEFAULT_ALGORITHMS as readonly unknown[]).includes(alg)) {
        fail(`\`dpop.algorithms\` contains ${show(alg)}; DPoP proofs are signed with asymmetric keys: ${DEFAULT_ALGORITHMS.join(', ')} (RFC 9449 §4.2).`)
      }
    }
    algorithms = [...new Set(list as string[])]
  }
  return {
    mode,
    origin,
    algorithms,
    maxAge: integer(input.maxAge, 'dpop.maxAge', 300, 1, 3600, 'seconds'),
    clockSkew: integer(input.clockSkew, 'dpop.clockSkew', 30, 0, 300, 'seconds'),
    maxProofLength: integer(input.maxProofLength, 'dpop.maxProofLength', 4096, 256, 65_536, 'characters'),
    nonce: resolveNonce(input.nonce),
    replayStore: resolveReplayStore(input.replayStore),
  }
}

function checkOrigin(value: unknown, allowHttp: boolean): string {
  const example = "origin: 'https://api.example.com'"
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) fail(`\`dpop.origin\` must be an absolute https URL, e.g. ${example}; got ${show(value)}.`)
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    fail(`\`dpop.origin\` must not have a query, a fragment or credentials, e.g. ${example}; got ${show(value)}.`)
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]'
  if (url.protocol === 'http:' && !loopback && !allowHttp) fail(`\`dpop.origin\` must use https (plain http only for localhost or with \`allowHttp\`); got ${show(value)}.`)
  return url.pathname === '/' ? url.origin : `${url.origin}${url.pathname.replace(/\/$/, '')}`
}

function resolveNonce(value: unknown): ResolvedDpop['nonce'] {
  if (value === undefined || value === false) return undefined
  if (value === true) return { secret: undefined, lifetime: 300 }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`\`dpop.nonce\` must be true, false or { secret, lifetime }; got ${show(value)}.`)
  const input = value as Record<string, unknown>
  for (const key of Object.keys(input)) if (key !== 'secret' && key !== 'lifetime') fail(`unknown \`dpop.nonce\` setting \`${key}\`; known: secret, lifetime.`)
  const secret = input.secret
  if (secret !== undefined) {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
    if (!(bytes instanceof Uint8Array) || bytes.byteLength < 32) fail('`dpop.nonce.secret` must be a string or Uint8Array of at least 32 bytes, shared by every instance of the API, e.g. from crypto.randomBytes(32).')
  }
  return { secret: secret as string | Uint8Array | undefined, lifetime: integer(input.lifetime, 'dpop.nonce.lifetime', 300, 10, 86_400, 'seconds') }
}

function resolveReplayStore(value: unknown): ReplayStore | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || typeof (value as ReplayStore).firstUse !== 'function') {
    fail(`\`dpop.replayStore\` must be an object with firstUse(key, ttlMs), e.g. createRedisReplayStore({ client }) from @scopeguard/redis; got ${show(value)}.`)
  }
  return value as ReplayStore
}

/** Validates `mtls`. */
export function resolveMtls(value: unknown): ResolvedMtls {
  if (value === undefined) return { configured: false, certificateFrom: 'tls' }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`\`mtls\` must be an object, e.g. mtls: { certificateFrom: 'tls' }; got ${show(value)}.`)
  const input = value as Record<string, unknown>
  for (const key of Object.keys(input)) if (key !== 'certificateFrom') fail(`unknown \`mtls\` setting \`${key}\`; known: certificateFrom.`)
  const from = input.certificateFrom ?? 'tls'
  if (from !== 'tls' && from !== 'client-cert-header') fail(`\`mtls.certificateFrom\` must be 'tls' or 'client-cert-header'; got ${show(input.certificateFrom)}.`)
  return { configured: true, certificateFrom: from }
}
