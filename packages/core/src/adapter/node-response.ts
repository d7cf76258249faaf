import { CONTINUE, type Decision } from './decision.js'

/** The parts of a `node:http` `ServerResponse` a reply is written with. */
export interface NodeResponseLike {
  statusCode: number
  setHeader(name: string, value: string): unknown
  end(body?: string): unknown
}

/**
 * Carries out a decision in a connect-style chain on Node's response API (Express 4 and 5,
 * connect, polka, plain `node:http`): go on with `next()`, answer, or hand the error to
 * `next(err)`. Nothing is logged: a 4xx is the client's business, not a server error.
 */
export function actOnNodeResponse(decision: Decision | Promise<Decision>, res: NodeResponseLike, next: (err?: Error) => void): void {
  if (decision === CONTINUE) {
    next()
    return
  }
  // The kit's promises never reject: failures arrive as decisions.
  if (decision instanceof Promise) {
    void decision.then((settled) => actOnNodeResponse(settled, res, next))
    return
  }
  if (decision.kind === 'error') {
    next(decision.error as Error)
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
