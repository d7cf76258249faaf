import { CONTINUE, type Decision } from '@scopeguard/core/adapter'
import type { NextFunction, Response } from 'express'

/**
 * Carries out the kit's decision on Express: go on, answer, or hand the error to Express's
 * error handling. Written against Node's response API, so it behaves the same on Express 4
 * and 5; nothing is logged (a 4xx is the client's business, not a server error).
 */
export function act(decision: Decision | Promise<Decision>, res: Response, next: NextFunction): void {
  if (decision === CONTINUE) {
    next()
    return
  }
  // The kit's promises never reject: failures arrive as decisions.
  if (decision instanceof Promise) {
    void decision.then((settled) => act(settled, res, next))
    return
  }
  if (decision.kind === 'error') {
    next(decision.error)
    return
  }
  if (decision.headers !== undefined) for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value)
  if (decision.kind === 'continue') {
    next()
    return
  }
  res.statusCode = decision.status
  res.end(decision.body)
}
