/** Option validation helpers: every message says what is wrong and how to fix it. */

export function fail(message: string): never {
  throw new TypeError(`scopeguard: ${message}`)
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'an object' : String(value)
}

export function stringList(value: unknown, name: string, example: string): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item !== '')) {
    fail(`\`${name}\` must be a non-empty string or a non-empty array of strings; got ${show(value)}. Example: ${example}.`)
  }
  return [...new Set(list as string[])]
}

export function boolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(`\`${name}\` must be true or false; got ${show(value)}.`)
  return value
}

export function integer(value: unknown, name: string, fallback: number, min: number, max: number, unit: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`\`${name}\` must be a whole number of ${unit} from ${min} to ${max}; got ${show(value)}.`)
  }
  return value
}

export function optionalFunction(value: unknown, name: string, example: string): unknown {
  if (value !== undefined && typeof value !== 'function') fail(`\`${name}\` must be a function, e.g. ${name}: ${example}; got ${show(value)}.`)
  return value
}
