/** A copy of `record` without the members whose value is `undefined`: how overrides remove a claim or header. */
export function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
}
