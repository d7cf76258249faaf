/**
 * A time to live as Redis `PX` takes it: a whole number of milliseconds, at least 1 (`PX 0`
 * is an error in Redis). `method` names the caller in the message.
 */
export function pxTtl(ttlMs: number, method: string): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new TypeError(`scopeguard: ${method} needs ttlMs, a positive number of milliseconds; got ${String(ttlMs)}.`)
  }
  return Math.ceil(ttlMs)
}
