import type { RedisClientLike } from '../options.js'

/** Options after validation, with defaults applied. */
export interface ResolvedHelperOptions {
  readonly client: RedisClientLike
  readonly prefix: string
  readonly timeout: number
}

/** setTimeout's largest delay; a longer one fires at once. */
const MAX_TIMEOUT = 2_147_483_647
const DEFAULT_TIMEOUT = 1000

/**
 * Validates a helper's options once, at construction: `factory` names the helper in every
 * message, `extra` lists the options it takes beyond client, prefix and timeout.
 */
export function resolveHelperOptions(factory: string, input: unknown, defaultPrefix: string, extra: readonly string[] = []): ResolvedHelperOptions {
  function fail(message: string): never {
    throw new TypeError(`scopeguard: ${factory}(): ${message}`)
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail(`needs an options object with a node-redis client, e.g. ${factory}({ client }) with client = await createClient({ url }).connect(); got ${show(input)}.`)
  }
  const options = input as Record<string, unknown>
  const known = ['client', 'prefix', 'timeout', ...extra]
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) fail(`unknown option \`${key}\`; known: ${known.join(', ')}.`)
  }

  const client = options.client as Record<string, unknown> | null | undefined
  if (typeof client !== 'object' || client === null) {
    fail(`\`client\` must be a node-redis client, e.g. client: await createClient({ url: 'redis://localhost:6379' }).connect() (from 'redis'); got ${show(client)}.`)
  }
  // ioredis has get() and set() too, with positional arguments: SET would fail at every call.
  if (typeof client.defineCommand === 'function') {
    fail('`client` looks like an ioredis client; give a node-redis client instead: createClient() from the `redis` package (5 or 6).')
  }
  const missing = ['get', 'set'].filter((name) => typeof client[name] !== 'function')
  if (missing.length > 0) {
    fail(`\`client\` must be a node-redis client (createClient(), createCluster() or createSentinel() from 'redis'); this object has no ${missing.join('() or ')}().`)
  }

  const prefix = options.prefix ?? defaultPrefix
  if (typeof prefix !== 'string' || prefix === '') {
    fail(`\`prefix\` must be a non-empty string, e.g. prefix: '${defaultPrefix}' (the default); got ${show(prefix)}.`)
  }

  const timeout = options.timeout ?? DEFAULT_TIMEOUT
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT) {
    fail(`\`timeout\` must be a positive number of milliseconds (at most ${MAX_TIMEOUT}), e.g. timeout: ${DEFAULT_TIMEOUT} (the default); got ${show(timeout)}.`)
  }

  return { client: client as unknown as RedisClientLike, prefix: prefix as string, timeout: timeout as number }
}

/** A value as shown in an error message: short, never a whole object. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'function') return 'a function'
  return typeof value === 'object' ? 'an object' : String(value)
}
