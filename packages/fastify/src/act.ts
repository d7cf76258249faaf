import { CONTINUE, type Decision } from '@scopeguard/core/adapter'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'

/**
 * A scopeguard hook, for a route's `onRequest`, `preValidation` or `preHandler` option or for
 * `app.addHook()`. A callback hook: it calls `done()` to go on, or answers through the reply.
 */
export type FastifyAuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

/**
 * Carries out the kit's decision in a Fastify hook: go on (`done()`), answer through the
 * reply (and leave `done` uncalled, as Fastify expects of a hook that replies), or hand the
 * error to Fastify (`done(err)`), which routes it to the error handler of the route, or of the
 * 404 context for a request no route matched. A callback hook, not an async one: a cached
 * token calls `done()` at once, with no promise of ours.
 */
export function act(decision: Decision | Promise<Decision>, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (decision === CONTINUE) {
    done()
    return
  }
  // The kit's promises never reject: failures arrive as decisions.
  if (decision instanceof Promise) {
    void decision.then((settled) => act(settled, reply, done))
    return
  }
  if (decision.kind === 'error') {
    done(decision.error as Error)
    return
  }
  if (decision.headers !== undefined) reply.headers(decision.headers)
  if (decision.kind === 'continue') {
    done()
    return
  }
  // As bytes: Fastify would add `; charset=utf-8` to the metadata document's
  // `application/json` (RFC 8259 §11 defines no charset parameter), but sends bytes as given.
  reply.code(decision.status).send(decision.body === undefined ? undefined : Buffer.from(decision.body))
}
