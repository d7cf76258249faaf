import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TokenEndpointContext } from './introspection-endpoint.js'
import { readForm, sendError } from './lib/form-request.js'

/**
 * Answers one revocation request (RFC 7009 §2): a form-encoded POST with `token` from an
 * authenticated client. 200 whether or not the token was known (§2.2: an invalid token is
 * no reason for an error). Unlike a real server, any registered client may revoke any token
 * (§2.1 has the server check that the token was issued to the client), so a test needs no
 * matching `client_id`.
 */
export async function handleRevocation(req: IncomingMessage, res: ServerResponse, context: TokenEndpointContext): Promise<void> {
  const params = await readForm(req)
  if (!(params instanceof URLSearchParams)) return sendError(res, params)
  const client = await context.authenticate({ authorization: req.headers.authorization, params, audiences: [context.url, context.issuer] })
  if ('error' in client) return sendError(res, client)
  const token = params.get('token')
  if (token === null || token === '') return sendError(res, { status: 400, error: 'invalid_request', description: 'the token parameter is required (RFC 7009 §2.1)' })
  context.registry.revoke(token)
  res.writeHead(200, { 'cache-control': 'no-store' }).end()
}
