import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClientAuthenticator } from './client-authentication.js'
import { applyIntrospectionFault, isSignedFault, type IntrospectionFault } from './introspection-faults.js'
import { SIGNED_RESPONSE_TYPE, signIntrospectionResponse, wantsSignedResponse } from './introspection-response.js'
import { readForm, sendError, sendJson } from './lib/form-request.js'
import type { SigningKey } from './signing-key.js'
import type { TokenRegistry } from './token-registry.js'

/** What the introspection and revocation endpoints of an issuer work with. */
export interface TokenEndpointContext {
  /** The issuer identifier. */
  readonly issuer: string
  /** The endpoint's own URL (an accepted `aud` of client assertions, with the issuer). */
  readonly url: string
  /** The issuer's tokens. */
  readonly registry: TokenRegistry
  /** Authenticates the calling client. */
  readonly authenticate: ClientAuthenticator
  /** The key signing new tokens (and RFC 9701 answers) now. */
  signingKey(): SigningKey
}

/**
 * Answers one introspection request (RFC 7662 §2): a form-encoded POST with `token` (and an
 * optional `token_type_hint`, which the issuer does not need), from an authenticated client.
 * JSON, or the RFC 9701 signed JWT when the `Accept` header asks for it.
 */
export async function handleIntrospection(req: IncomingMessage, res: ServerResponse, context: TokenEndpointContext, fault?: IntrospectionFault): Promise<void> {
  const params = await readForm(req)
  if (!(params instanceof URLSearchParams)) return sendError(res, params)
  const client = await context.authenticate({ authorization: req.headers.authorization, params, audiences: [context.url, context.issuer] })
  if ('error' in client) return sendError(res, client)
  const token = params.get('token')
  if (token === null || token === '') return sendError(res, { status: 400, error: 'invalid_request', description: 'the token parameter is required (RFC 7662 §2.1)' })

  const answer = applyIntrospectionFault(await context.registry.introspect(token), fault)
  if (!wantsSignedResponse(req.headers.accept)) return sendJson(res, 200, answer)
  const jwt = await signIntrospectionResponse(answer, {
    issuer: context.issuer,
    audience: client.clientId,
    key: context.signingKey(),
    fault: isSignedFault(fault) ? fault : undefined,
  })
  res.writeHead(200, { 'content-type': SIGNED_RESPONSE_TYPE, 'cache-control': 'no-store' }).end(jwt)
}
