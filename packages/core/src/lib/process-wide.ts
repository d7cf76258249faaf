// Registries that must be one per process, not one per copy of this module: an app can load
// scopeguard twice (its ESM and its CommonJS build, or two versions through different
// dependencies), and `auth()` from one copy must still recognise the results that
// `requireScopes()` from the other checks. A registry symbol (`Symbol.for`) on `globalThis`
// is shared by every copy.
const REGISTRY = Symbol.for('scopeguard.registry.v1')

type Registry = Map<string, unknown>

/** The process-wide value named `name`, created by `create` on first use by any copy. */
export function processWide<T>(name: string, create: () => T): T {
  const holder = globalThis as { [REGISTRY]?: Registry }
  const registry = (holder[REGISTRY] ??= new Map())
  if (!registry.has(name)) registry.set(name, create())
  return registry.get(name) as T
}
