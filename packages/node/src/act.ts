import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { actOnNodeResponse, CONTINUE, type Decision, type ReplyDecision } from '@scopeguard/core/adapter'
import type { ErrorListener, NextFunction } from './middleware.js'

/** Carries out the kit's decision in a connect-style chain: see `actOnNodeResponse`. */
export const act: (decision: Decision | Promise<Decision>, res: ServerResponse, next: NextFunction) => void = actOnNodeResponse

/**
 * Carries out the kit's decision in front of a request listener (`protect()`): call
 * `handler`, answer, or hand the error to `onError`. The same steps as `actOnNodeResponse`, without a
 * `next` closure per request.
 */
export function actThen(
  decision: Decision | Promise<Decision>,
  req: IncomingMessage,
  res: Parameters<RequestListener>[1],
  handler: RequestListener,
  onError: ErrorListener,
): void {
  if (decision === CONTINUE) {
    handler(req, res)
    return
  }
  if (decision instanceof Promise) {
    void decision.then((settled) => actThen(settled, req, res, handler, onError))
    return
  }
  if (decision.kind === 'error') {
    onError(decision.error as Error, req, res)
    return
  }
  if (decision.headers !== undefined) setHeaders(res, decision.headers)
  if (decision.kind === 'continue') handler(req, res)
  else reply(res, decision)
}

function setHeaders(res: ServerResponse, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
}

function reply(res: ServerResponse, decision: ReplyDecision): void {
  res.statusCode = decision.status
  res.end(decision.body)
}
