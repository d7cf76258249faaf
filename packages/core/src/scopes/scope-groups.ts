/** A declared scope and its description. */
export interface ScopeEntry<S extends string = string> {
  readonly scope: S
  readonly description: string
}

/** Scopes acting on one resource, for documentation and consent screens. */
export interface ScopeGroup<S extends string = string> {
  /** The resource parsed from the scope names, e.g. `messages`; `null` for the "Other" group. */
  readonly resource: string | null
  /** The resource for people: separators become spaces, first letter upper case, e.g. `Messages`. */
  readonly title: string
  /**
   * One line for a consent screen. When every scope names a known verb:
   * `"<Title>: <verbs> your <title in lower case>"`, e.g. `Messages: read and write your messages`;
   * otherwise `"<Title>: <descriptions joined by '; '>"`.
   */
  readonly summary: string
  /** The group's scopes, in declaration order. */
  readonly scopes: readonly ScopeEntry<S>[]
}

/** How a scope name splits into the resource it acts on and the action. */
export interface ParsedScopeName {
  readonly resource: string
  /** A known verb (`read`, `write`, …) the scope performs, when the name has one. */
  readonly verb: string | undefined
}

/** Verbs recognised in scope names, with how a summary says them. */
const VERBS: Readonly<Record<string, string>> = {
  read: 'read', write: 'write', create: 'create', update: 'update', delete: 'delete', manage: 'manage',
  list: 'list', view: 'view', edit: 'edit', send: 'send', share: 'share', export: 'export', import: 'import',
  admin: 'administer',
}

function verbOf(word: string | undefined): string | undefined {
  return word === undefined ? undefined : Object.hasOwn(VERBS, word.toLowerCase()) ? word.toLowerCase() : undefined
}

/**
 * Splits a scope name, trying in order:
 * 1. URL-shaped (`https://www.googleapis.com/auth/drive.readonly`): the last path segment,
 *    up to its first `.`, is the resource (`drive`).
 * 2. Colon forms: `verb:resource[:…]` when the first part is a known verb (`read:contacts`,
 *    GitHub's `admin:org`); otherwise `resource:action[:…]` (Slack's `channels:read`,
 *    `mx:user:profile:v1:read`), whose verb is the last part.
 * 3. Dot form `resource.action[.…]` (Microsoft Graph's `Mail.Read`), whose verb is the last part.
 * Anything else (`admin`, `openid`) has no resource: `undefined`.
 */
export function parseScopeName(scope: string): ParsedScopeName | undefined {
  if (scope.includes('://')) {
    let segment: string | undefined
    try {
      segment = new URL(scope).pathname.split('/').filter(Boolean).pop()
    } catch {
      return undefined
    }
    const [resource, ...rest] = (segment ?? '').split('.')
    return resource === undefined || resource === '' ? undefined : { resource, verb: verbOf(rest.at(-1)) }
  }
  for (const separator of [':', '.']) {
    const parts = scope.split(separator)
    if (parts.length < 2 || parts.some((part) => part === '')) continue
    const [first, second] = parts as [string, string]
    if (separator === ':' && verbOf(first) !== undefined) return { resource: second, verb: verbOf(first) }
    return { resource: first, verb: verbOf(parts.at(-1)) }
  }
  return undefined
}

/**
 * Groups scopes by the resource their names act on ({@link parseScopeName}), groups in order
 * of first appearance and the "Other" group last.
 */
export function groupScopesByResource<S extends string>(entries: readonly ScopeEntry<S>[]): ScopeGroup<S>[] {
  const groups = new Map<string | null, { entry: ScopeEntry<S>; verb: string | undefined }[]>()
  for (const entry of entries) {
    const parsed = parseScopeName(entry.scope)
    const key = parsed?.resource ?? null
    const list = groups.get(key) ?? []
    list.push({ entry, verb: parsed?.verb })
    groups.set(key, list)
  }
  const other = groups.get(null)
  groups.delete(null)
  if (other !== undefined) groups.set(null, other)
  return [...groups].map(([resource, members]) => {
    const title = resource === null ? 'Other' : titleOf(resource)
    const verbs = members.map((member) => member.verb)
    const summary = resource !== null && verbs.every((verb) => verb !== undefined)
      ? `${title}: ${joinWords([...new Set(verbs.map((verb) => VERBS[verb] as string))])} your ${title.toLowerCase()}`
      : `${title}: ${members.map((member) => member.entry.description).join('; ')}`
    return { resource, title, summary, scopes: members.map((member) => member.entry) }
  })
}

function titleOf(resource: string): string {
  const words = resource.replace(/[-_]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1) as string}`
}
