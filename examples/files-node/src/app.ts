import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { auth, defineScopes, requireAuth, type NodeAuthOptions } from '@scopeguard/node'

/** A file in a user's folder. */
export interface StoredFile {
  readonly name: string
  readonly content: string
}

/** The API's scopes, declared once: `write:files` implies `read:files`, `admin` implies every scope. */
export const { catalogue } = defineScopes({
  'read:files': 'Read your files',
  'write:files': { description: 'Create and change your files', implies: ['read:files'] },
  'delete:files': 'Delete your files',
  admin: { description: 'Full access', implies: '*' },
})

/**
 * Options of {@link createApp}: `issuer` and `audience` are required, any other `auth()`
 * option may be added (e.g. `resourceMetadata`, to serve RFC 9728 discovery).
 */
export type FilesAppOptions = { issuer: string; audience: string } & Partial<NodeAuthOptions>

/** Largest file `PUT /files/:name` accepts, in bytes. */
const MAX_FILE_BYTES = 64 * 1024
const FILE_PATH = /^\/files\/([\w.-]{1,100})$/

/**
 * The files API as a plain `node:http` request listener: each user (token `sub`) has a
 * folder, held in memory, one store per app, so every test starts empty. Each route's
 * listener is wrapped by `authenticate.protect(scopes, handler)`; `/health` is not, so it
 * is public.
 *
 * @example
 * createServer(createApp({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/files' })).listen(3000)
 */
export function createApp(options: FilesAppOptions): RequestListener {
  const folders = new Map<string, Map<string, StoredFile>>()
  // A folder belongs to a user, so tokens without `sub` (e.g. client credentials) are refused.
  // auth() checks its options now: a misconfigured issuer stops the app at start-up.
  const authenticate = auth({ requiredClaims: ['exp', 'sub'], scopes: catalogue, ...options })
  /** The folder of the user whose token `protect()` verified (`sub` is a required claim above). */
  const folderOf = (req: IncomingMessage): Map<string, StoredFile> => {
    const sub = requireAuth(req).claims.sub as string
    let folder = folders.get(sub)
    if (folder === undefined) folders.set(sub, (folder = new Map()))
    return folder
  }

  const list = authenticate.protect(['read:files'], (req, res) => {
    sendJson(res, 200, [...folderOf(req).keys()])
  })

  const read = authenticate.protect(['read:files'], (req, res) => {
    const file = folderOf(req).get(fileName(req))
    if (file === undefined) sendJson(res, 404, { error: 'No such file' })
    else sendText(res, 200, file.content)
  })

  // `write:files` alone is enough to write, and to read (the catalogue: it implies `read:files`).
  const write = authenticate.protect(['write:files'], (req, res) => {
    void readText(req, MAX_FILE_BYTES).then((content) => {
      if (content === undefined) return sendJson(res, 413, { error: `A file holds at most ${MAX_FILE_BYTES} bytes` })
      const folder = folderOf(req)
      const name = fileName(req)
      const created = !folder.has(name)
      folder.set(name, { name, content })
      sendJson(res, created ? 201 : 200, { name, bytes: Buffer.byteLength(content) })
    })
  })

  // `admin` may delete too: the catalogue says it implies every scope.
  const remove = authenticate.protect(['delete:files'], (req, res) => {
    if (!folderOf(req).delete(fileName(req))) return sendJson(res, 404, { error: 'No such file' })
    res.statusCode = 204
    res.end()
  })

  const fileRoutes: Partial<Record<string, RequestListener>> = { GET: read, PUT: write, DELETE: remove }
  const router: RequestListener = (req, res) => {
    const path = pathOf(req)
    if (path === '/health') return sendJson(res, 200, { status: 'ok' })
    const route = path === '/files' ? (req.method === 'GET' ? list : undefined) : FILE_PATH.test(path) ? fileRoutes[req.method ?? ''] : undefined
    if (route === undefined) return sendJson(res, 404, { error: 'Not found' })
    route(req, res)
  }

  // RFC 9728: the document the challenges point to is public, so it is answered before routing.
  if (options.resourceMetadata === undefined) return router
  const metadata = authenticate.metadataEndpoint
  return (req, res) => metadata(req, res, () => router(req, res))
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?', 1)[0] ?? '/'
}

/** The `:name` of `/files/:name`; the router let only such paths through. */
function fileName(req: IncomingMessage): string {
  return FILE_PATH.exec(pathOf(req))?.[1] ?? ''
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.end(JSON.stringify(body))
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.end(body)
}

/** The request body as UTF-8 text, or `undefined` when it is longer than `limit` bytes. */
async function readText(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
