import { RedisTimeoutError } from '../errors.js'

/**
 * Runs `send` and settles with its outcome, or rejects with {@link RedisTimeoutError} after
 * `timeout` ms, whichever comes first. The command is not cancelled (clients, clusters and
 * sentinels of node-redis 5 and 6 share no way to): a late answer is dropped, and a SET still
 * queued may be applied once the client reconnects. That can only refuse more (a proof counts
 * as used, a jti as revoked), never accept what should be refused.
 */
export function timeBoxed<T>(send: () => Promise<T>, command: string, timeout: number): Promise<T> {
  let pending: Promise<T>
  try {
    pending = send()
  } catch (err) {
    // A client may throw synchronously (closed, or in a mode that refuses commands).
    return Promise.reject(err)
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisTimeoutError(command, timeout)), timeout)
    pending.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}
