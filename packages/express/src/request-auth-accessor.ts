import { IncomingMessage } from 'node:http'

// Why `req.auth` is an accessor on Express's request prototype and not a property of each
// request: Express 4 and 5 replace every request's prototype (`setPrototypeOf(req,
// app.request)`), which leaves each request object with a hidden class of its own, so a
// property added to it makes V8 build a new one. Counted with callgrind
// (`pnpm --filter @scopeguard/bench run instructions`, ES256, one reused token): a bare
// Express 5 request is about 582 000 instructions; a no-op middleware added none measurable,
// one that only did `req.auth = x` about 45 000, and scopeguard's auth() + requireScopes()
// 49 000 with `req.auth` an own property, 23 000-26 000 through this accessor (of which
// Express's dispatch of two middlewares that only call `next()` is 16 000, all of it for the
// one mounted with `app.use()`), 21 000 with scopeguard's own reads and writes going straight
// to the WeakMap (RequestAuthSlot below), 12 000 in the one-middleware form. Keeping the
// value in `res.locals` instead (a dictionary object Express makes per request, so no new
// hidden class, and no WeakMap entry for the garbage collector to visit) counted the same,
// 611 000 against the WeakMap's 606 000-625 000 in other runs, and an app that replaces
// `res.locals` would lose it.
//
// It still behaves as a property: whoever assigns `req.auth` (auth(), a test, another
// middleware) stores the value and reads it back, `'auth' in req` holds, and each value
// lives as long as its request. What differs: it is not an own property (`Object.keys(req)`
// does not list it) and `delete req.auth` leaves it in place; assign `undefined` instead.

const values = new WeakMap<object, unknown>()

const AUTH_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: object): unknown {
    return values.get(this)
  },
  set(this: object, value: unknown) {
    if (value === undefined) values.delete(this)
    else values.set(this, value)
  },
}

/**
 * Reads and writes `req.auth` for scopeguard's middleware, knowing the accessor: where it is
 * in place, straight from and to its WeakMap. Every Express request has a hidden class of its
 * own, so V8 can cache no property access on it and each `req.auth` read or write is a lookup
 * along the prototype chain in its runtime: taking one read and one write off the request's
 * path saved 3 800-6 400 instructions per request (callgrind, ES256, reused token). The
 * WeakMap needs no such lookup. Anything else that reads or assigns `req.auth` goes through the
 * accessor, into the same WeakMap, so both ways see the same value.
 */
export interface RequestAuthSlot {
  read(req: object): unknown
  write(req: object, value: unknown): void
}

/**
 * Creates a {@link RequestAuthSlot}. It installs the accessor the first time it meets a
 * request prototype, and keeps whether the accessor is in place for the prototype seen last
 * (one comparison per request, as Express gives every request of an app the same prototype).
 * The accessor goes on the prototype just above `IncomingMessage.prototype` (Express's own
 * `request` object, shared by every app and sub-app of that copy of Express), so `req.auth`
 * survives a sub-app handing the request back to its parent. Where there is no such
 * prototype (a request not from Express over `node:http`), or something else already owns
 * an `auth` there, nothing is installed and the slot uses `req.auth` as a plain property.
 */
export function createRequestAuthSlot(): RequestAuthSlot {
  let seen: object | null = null
  let accessorInPlace = false
  function usesAccessor(req: object): boolean {
    const prototype = Object.getPrototypeOf(req) as object | null
    if (prototype === seen) return accessorInPlace
    seen = prototype
    const base = requestBase(prototype)
    if (base !== undefined && !Object.prototype.hasOwnProperty.call(base, 'auth')) Object.defineProperty(base, 'auth', AUTH_ACCESSOR)
    accessorInPlace = base !== undefined && Object.getOwnPropertyDescriptor(base, 'auth')?.get === AUTH_ACCESSOR.get
    return accessorInPlace
  }
  return {
    read(req) {
      return usesAccessor(req) ? values.get(req) : (req as { auth?: unknown }).auth
    },
    write(req, value) {
      if (!usesAccessor(req)) (req as { auth?: unknown }).auth = value
      else if (value === undefined) values.delete(req)
      else values.set(req, value)
    },
  }
}
/** The object of `prototype`'s chain (itself included) whose prototype is `IncomingMessage.prototype`. */
function requestBase(prototype: object | null): object | undefined {
  let current = prototype
  // Bounded: a prototype chain has no cycles, and Express's is four or five links long.
  for (let depth = 0; current !== null && depth < 32; depth++) {
    const next = Object.getPrototypeOf(current) as object | null
    if (next === IncomingMessage.prototype) return current
    current = next
  }
  return undefined
}
