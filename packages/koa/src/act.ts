import { CONTINUE, type Decision } from '@scopeguard/core/adapter'
import type { Context, Next } from 'koa'

/**
 * Carries out the kit's decision on Koa: hand back `next()`'s own promise, answer, or reject
 * with the error for the app's error handling (as an async function would). Koa's default
 * handler honours the error's `status`, `expose` and `headers`, so a thrown error needs
 * nothing more.
 */
export function act(decision: Decision | Promise<Decision>, ctx: Context, next: Next): Promise<void> | undefined {
  if (decision === CONTINUE) return next()
  // The kit's promises never reject: failures arrive as decisions.
  if (decision instanceof Promise) return decision.then((settled) => act(settled, ctx, next))
  if (decision.kind === 'error') return Promise.reject(decision.error as Error)
  if (decision.headers !== undefined) ctx.set(decision.headers)
  if (decision.kind === 'continue') return next()
  ctx.status = decision.status
  // Headers first: Koa keeps a Content-Type that is already set when the body is a string.
  if (decision.body !== undefined) ctx.body = decision.body
  return undefined
}
