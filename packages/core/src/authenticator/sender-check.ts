import { createHash } from 'node:crypto'
import { Rejection } from '../errors/rejection.js'
import type { ResolvedOptions } from '../options/options.js'
import type { TokenScheme } from '../request/extract-bearer-token.js'
import { certificateThumbprint, clientCertFromHeader } from '../sender/certificate-thumbprint.js'
import { createDpopNonces, type DpopNonces } from '../sender/dpop-nonce.js'
import { verifyDpopProof } from '../sender/dpop-proof.js'
import { dpopTargetUri } from '../sender/dpop-target-uri.js'
import { createMemoryReplayStore } from '../sender/memory-replay-store.js'
import type { ReplayStore } from '../sender/replay-store.js'
import type { AccessTokenClaims, AuthResult, TokenBinding } from '../token/auth-result.js'

/**
 * What the sender checks read of a request, by the adapter's request type `K`; an adapter's
 * request binding provides it. Read only for sender-constrained tokens.
 */
export interface SenderEvidence<K> {
  /** The request method, upper case. */
  method(request: K): string | undefined
  /** The request target (`/path?query`) as received. */
  url(request: K): string | undefined
  /** A request header by lower-case name, repeated lines joined with `, `. */
  header?(request: K, name: string): string | undefined
  /** The DER bytes of the client certificate of the TLS connection, if any. */
  clientCertificate?(request: K): Uint8Array | undefined
}

/** Refusal because the replay store could not answer: 503, never the client's fault. */
export class ReplayStoreUnavailableError extends Error {
  override readonly name = 'ReplayStoreUnavailableError'
}

/** The sender-constraint checks of one `auth()`: which schemes it accepts, and the per-request proof checks. */
export interface SenderCheck {
  /** Whether `Authorization: Bearer` is accepted (false when DPoP is required). */
  readonly acceptsBearer: boolean
  /** Whether `Authorization: DPoP` is accepted: DPoP is on and its origin is known. */
  readonly acceptsDpop: boolean
  /** The `algs` of the DPoP challenge; undefined when DPoP is not accepted. */
  readonly dpopAlgs: string | undefined
  /** The server nonces, when configured. */
  readonly nonces: DpopNonces | undefined
  /** Reads what a verified token is bound to from its `cnf`; throws when it is bound in a way this API cannot check. */
  bindingOf(claims: AccessTokenClaims): TokenBinding | undefined
  /** Checks that this request comes from the sender the token is bound to: the DPoP proof, or the client certificate. */
  confirm<K>(result: AuthResult, scheme: TokenScheme, evidence: SenderEvidence<K> | undefined, request: K): Promise<void>
}

// A replay store that does not answer in this time fails the request closed (503).
const REPLAY_STORE_TIMEOUT = 2000

/** Builds the checks from the validated options. */
export function createSenderCheck(options: ResolvedOptions): SenderCheck {
  const { dpop, mtls } = options
  const acceptsDpop = dpop.mode !== 'off' && dpop.origin !== undefined
  const nonces = acceptsDpop && dpop.nonce !== undefined
    ? createDpopNonces({ secret: dpop.nonce.secret, lifetime: dpop.nonce.lifetime, clock: options.clock })
    : undefined
  const replayStore: ReplayStore | undefined = acceptsDpop ? dpop.replayStore ?? createMemoryReplayStore({ clock: options.clock }) : undefined
  const policy = {
    algorithms: dpop.algorithms,
    maxLength: dpop.maxProofLength,
    maxAge: dpop.maxAge,
    clockTolerance: dpop.clockSkew,
    clock: options.clock,
  }
  // A proof is accepted once while its iat is acceptable: recorded for the whole window.
  const replayTtl = (dpop.maxAge + 2 * dpop.clockSkew) * 1000

  async function confirmDpop<K>(result: AuthResult, jkt: string, evidence: SenderEvidence<K> | undefined, request: K): Promise<void> {
    if (evidence === undefined || dpop.origin === undefined || replayStore === undefined) {
      throw new Rejection('token_binding_unsupported', undefined, { note: 'this adapter gives no access to the request method, URL and headers' })
    }
    const proof = await verifyDpopProof({
      proof: evidence.header?.(request, 'dpop'),
      method: evidence.method(request) ?? '',
      // RFC 9449 §4.3 check 9: htu against the URI of the request, here anchored at the
      // configured origin and never at the client-controlled Host header.
      uri: dpopTargetUri(dpop.origin, evidence.url(request) ?? '/'),
      accessToken: result.token,
      jkt,
    }, policy)
    // RFC 9449 §9: after the proof itself, its nonce; a missing or stale one gets a fresh one.
    if (nonces !== undefined && nonces.check(proof.nonce) !== 'valid') {
      throw new Rejection('dpop_proof_nonce_invalid', undefined, { claim: 'nonce', expected: 'a nonce from DPoP-Nonce', found: proof.nonce === undefined ? 'none' : 'an unknown or expired nonce' })
    }
    // RFC 9449 §11.1: recorded last, once every other check passed, so a refused proof never
    // uses up its jti; keyed by key, target URI and jti, hashed to a fixed length.
    const key = createHash('sha256').update(`${proof.jkt}\n${proof.htu}\n${proof.jti}`).digest('base64url')
    let first: boolean
    try {
      first = await withTimeout(replayStore.firstUse(key, replayTtl), REPLAY_STORE_TIMEOUT)
    } catch (err) {
      throw new ReplayStoreUnavailableError('the DPoP replay store did not answer', { cause: err })
    }
    if (!first) throw new Rejection('dpop_proof_replayed', undefined, { claim: 'jti', note: 'this proof was already used' })
  }

  function confirmCertificate<K>(x5tS256: string, evidence: SenderEvidence<K> | undefined, request: K): void {
    let der: Uint8Array | undefined
    if (mtls.certificateFrom === 'client-cert-header') {
      const parsed = clientCertFromHeader(evidence?.header?.(request, 'client-cert'))
      if (parsed === 'malformed') throw new Rejection('certificate_missing', undefined, { claim: 'Client-Cert', note: 'the Client-Cert header is not one RFC 9440 certificate' })
      der = parsed
    } else {
      der = evidence?.clientCertificate?.(request)
    }
    if (der === undefined) {
      throw new Rejection('certificate_missing', undefined, {
        note: mtls.certificateFrom === 'tls' ? 'no client certificate on the TLS connection (the server needs requestCert: true)' : 'no Client-Cert header',
      })
    }
    // RFC 8705 §3.1: the SHA-256 thumbprint of the DER certificate, base64url.
    const found = certificateThumbprint(der)
    if (found !== x5tS256) throw new Rejection('certificate_mismatch', undefined, { claim: 'cnf.x5t#S256', expected: x5tS256, found })
  }

  return {
    acceptsBearer: dpop.mode !== 'required',
    acceptsDpop,
    dpopAlgs: acceptsDpop ? dpop.algorithms.join(' ') : undefined,
    nonces,
    bindingOf(claims) {
      const { cnf } = claims
      if (cnf === undefined) {
        if (dpop.mode === 'required') throw new Rejection('token_not_bound', undefined, { claim: 'cnf', note: "dpop.mode is 'required' and the token has no cnf.jkt" })
        return undefined
      }
      if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) throw new Rejection('claim_invalid', undefined, { claim: 'cnf', expected: 'an object (RFC 7800)', found: typeof cnf })
      const jkt = typeof cnf.jkt === 'string' && cnf.jkt !== '' ? cnf.jkt : undefined
      const x5tS256 = typeof cnf['x5t#S256'] === 'string' && cnf['x5t#S256'] !== '' ? cnf['x5t#S256'] : undefined
      // RFC 7800 §3.1 et seq.: a confirmation the resource cannot check is not a bearer token.
      if (jkt === undefined && x5tS256 === undefined) {
        throw new Rejection('token_binding_unsupported', undefined, { claim: 'cnf', found: Object.keys(cnf).join(', ').slice(0, 80), note: 'neither jkt (DPoP) nor x5t#S256 (certificate)' })
      }
      if (jkt !== undefined && !acceptsDpop) {
        throw new Rejection('token_binding_unsupported', undefined, {
          claim: 'cnf.jkt',
          note: dpop.mode === 'off' ? "the token is DPoP-bound and dpop.mode is 'off'" : 'the token is DPoP-bound: set dpop.origin (or resourceMetadata.resource) to the URL clients call, so proofs can be checked',
        })
      }
      if (jkt === undefined && dpop.mode === 'required') throw new Rejection('token_not_bound', undefined, { claim: 'cnf.jkt', note: "dpop.mode is 'required'" })
      return Object.freeze({ scheme: jkt === undefined ? 'Bearer' : 'DPoP', jkt, x5tS256 })
    },
    async confirm(result, scheme, evidence, request) {
      const binding = result.binding
      if (binding === undefined) return
      if (binding.jkt !== undefined) {
        // RFC 9449 §7.2: a DPoP-bound token presented as a bearer token is refused.
        if (scheme !== 'DPoP') throw new Rejection('token_bound_to_key', undefined, { note: 'sent with the Bearer scheme' })
        await confirmDpop(result, binding.jkt, evidence, request)
      } else if (scheme === 'DPoP') {
        throw new Rejection('token_not_bound', undefined, { claim: 'cnf.jkt', note: 'sent with the DPoP scheme, but bound to a certificate only' })
      }
      if (binding.x5tS256 !== undefined) confirmCertificate(binding.x5tS256, evidence, request)
    },
  }
}

function withTimeout<T>(value: T | Promise<T>, ms: number): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    timer.unref()
  })
  return Promise.race([value, timeout]).finally(() => clearTimeout(timer))
}
