/**
 * The known value closest to `value`, for "did you mean …?" messages, or `undefined` when
 * none is close enough. A value differing only in case wins; otherwise the smallest
 * Levenshtein distance, at most a third of the value's length (and at least 2), so a typo
 * like `read:apointments` finds `read:appointments` but `delete` never suggests `read`.
 */
export function closestMatch(value: string, known: readonly string[]): string | undefined {
  const lower = value.toLowerCase()
  const sameCase = known.find((candidate) => candidate.toLowerCase() === lower)
  if (sameCase !== undefined) return sameCase
  const limit = Math.max(2, Math.floor(value.length / 3))
  let best: string | undefined
  let bestDistance = limit + 1
  for (const candidate of known) {
    // Cheap bound first: the distance is at least the difference in length.
    if (Math.abs(candidate.length - value.length) >= bestDistance) continue
    const distance = editDistance(value, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/** Levenshtein distance: insertions, deletions and substitutions, each costing 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution)
    }
    previous = current
  }
  return previous[b.length] as number
}
