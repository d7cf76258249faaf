/**
 * One line for a log from an error and its causes: `a: b: c (ENOTFOUND)`. Node's fetch puts
 * the interesting part (a DNS, TLS or connection failure) two `cause` levels deep.
 */
export function describeErrorChain(error: unknown): string {
  const parts: string[] = []
  let code: string | undefined
  let current: unknown = error
  // Bounded: a cause chain may be long or even cyclic.
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    if (current instanceof AggregateError) {
      parts.push(current.message, ...current.errors.slice(0, 3).map((inner) => describeErrorChain(inner)))
      break
    }
    const message = current instanceof Error ? current.message : String(current)
    if (message !== '' && !parts.includes(message)) parts.push(message)
    const errorCode = (current as { code?: unknown }).code
    if (typeof errorCode === 'string') code = errorCode
    current = current instanceof Error ? current.cause : undefined
  }
  const text = parts.join(': ')
  return code === undefined || text.includes(code) ? text : `${text} (${code})`
}
