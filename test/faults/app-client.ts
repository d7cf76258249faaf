import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the assertions read from a response of the app under test. */
export interface Reply {
  readonly status: number
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Record<string, unknown>
  /** Milliseconds from sending the request to the end of the body. */
  readonly ms: number
}

/** An app listening on 127.0.0.1, and a way to call it. */
export interface AppClient {
  /** GETs `path` (default `/appointments`) with `Authorization: Bearer <token>`. */
  get(token: string, path?: string): Promise<Reply>
  /** GETs `path` once per token, all at the same time. */
  getAll(tokens: readonly string[], path?: string): Promise<Reply[]>
  /** How many requests the app has received so far. */
  readonly arrived: number
  close(): Promise<void>
}

/**
 * Serves `listener` on one loopback server for the whole test, so that many concurrent
 * requests reach the same `auth()` instance (supertest starts a server per request).
 * Every request is bounded by a 5 s timeout.
 */
export async function serveApp(listener: RequestListener): Promise<AppClient> {
  let arrived = 0
  const server = createServer((req, res) => {
    arrived++
    listener(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  async function get(token: string, path = '/appointments'): Promise<Reply> {
    const started = performance.now()
    const response = await fetch(`${origin}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    })
    const text = await response.text()
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {
      body = { unparsed: text }
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), body, ms: performance.now() - started }
  }

  return {
    get,
    getAll: (tokens, path) => Promise.all(tokens.map((token) => get(token, path))),
    get arrived() {
      return arrived
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A listener that can hold requests back, see {@link gate}. */
export interface GatedListener extends RequestListener {
  /** Holds the next `count` requests until all of them have arrived, then lets them through at once. */
  hold(count: number): void
}

/**
 * Wraps `listener` so that a burst of requests reaches auth() together: every one of them
 * is inside the key lookup before the first issuer round trip can finish, which proves single
 * flight rather than caching. Requests pass straight through unless {@link GatedListener.hold} was called.
 */
export function gate(listener: RequestListener): GatedListener {
  let held: (() => void)[] = []
  let expected = 0
  const gated = (req: Parameters<RequestListener>[0], res: Parameters<RequestListener>[1]): void => {
    if (expected === 0) return void listener(req, res)
    held.push(() => listener(req, res))
    if (held.length === expected) {
      const release = held
      held = []
      expected = 0
      for (const pass of release) pass()
    }
  }
  return Object.assign(gated, {
    hold(count: number) {
      expected = count
    },
  })
}
