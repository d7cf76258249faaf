import { anyOf, auth, defineScopes, type HonoAuthOptions } from '@scopeguard/hono'
import { Hono } from 'hono'

/** A note, owned by the subject (`sub`) of the token that created it. */
export interface Note {
  readonly id: string
  readonly owner: string
  readonly text: string
}

/** The notes API's scopes, declared once: `write:notes` implies `read:notes`, `admin` everything. */
export const NOTES_SCOPES = defineScopes({
  'read:notes': 'Read your notes',
  'write:notes': { description: 'Create and change your notes', implies: ['read:notes'] },
  'delete:notes': 'Delete your notes',
  admin: { description: 'Full access, to every user’s notes', implies: '*' },
})

/**
 * Options of {@link createApp}: `issuer` and `audience` are required. With `resource` (the
 * https URL clients call the API at), the RFC 9728 metadata document is served and named in
 * every challenge. Any other `auth()` option may be added.
 */
export type NotesAppOptions = { issuer: string; audience: string; resource?: string } & Partial<HonoAuthOptions>

/**
 * The notes API: notes held in memory, one store per app, so every test starts empty. Each
 * route is guarded by one middleware, `authenticate.requireScopes(...)`, which verifies the
 * token and checks the scopes; after it, `c.get('auth')` is the verified token. `/health`
 * has no guard, so it needs no token.
 *
 * @example
 * serve({ fetch: createApp({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/notes' }).fetch, port: 3000 })
 */
export function createApp({ resource, ...options }: NotesAppOptions): Hono {
  const notes = new Map<string, Note>()
  let lastId = 0
  const authenticate = auth({
    ...options,
    scopes: NOTES_SCOPES.catalogue,
    ...(resource === undefined ? {} : { resourceMetadata: { resource, resourceName: 'Notes API' } }),
  })
  const app = new Hono()

  // Routes are guarded one by one, so the RFC 9728 document needs a middleware of its own.
  if (resource !== undefined) app.use(authenticate.metadataEndpoint)

  // Public, so load balancers can probe it without a token.
  app.get('/health', (c) => c.json({ status: 'ok' }))

  app.get('/notes', authenticate.requireScopes('read:notes'), (c) => {
    const { sub } = c.get('auth').claims
    return c.json([...notes.values()].filter((note) => note.owner === sub))
  })

  app.post('/notes', authenticate.requireScopes('write:notes'), async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const text = (body as { text?: unknown } | undefined)?.text
    if (typeof text !== 'string' || text === '') return c.json({ error: 'A note needs a non-empty "text"' }, 400)
    const note: Note = { id: String(++lastId), owner: c.get('auth').claims.sub ?? '', text }
    notes.set(note.id, note)
    return c.json(note, 201)
  })

  // Any-of: the owner with delete:notes, or an administrator, who may delete anyone's note.
  app.delete('/notes/:id', authenticate.requireScopes(anyOf('delete:notes', 'admin')), (c) => {
    const { claims, scopes } = c.get('auth')
    const note = notes.get(c.req.param('id'))
    // Someone else's note is reported missing rather than forbidden: its existence is not ours to tell.
    if (note === undefined || (note.owner !== claims.sub && !scopes.has('admin'))) return c.json({ error: 'No such note' }, 404)
    notes.delete(note.id)
    return c.body(null, 204)
  })

  return app
}
