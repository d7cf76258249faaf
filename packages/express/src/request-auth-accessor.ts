import { IncomingMessage } from 'node:http'

// Why `req.auth` is an accessor on Express's request prototype and not a property of each
// request: Express 4 and 5 replace every request's prototype (`setPrototypeOf(req,
// app.request)`), which leaves each request object with a hidden class of its own, so a
// property added to it makes V8 build a new one. Counted with callgrind
// (`pnpm --filter @scopeguard/bench run instructions`, ES256, one reused token): a bare
// Express 5 request is about 582 000 instructions; a no-op middleware added none measurable,
// one that only did `req.auth = x` about 45 000, and scopeguard's auth() + requireScopes()
// 49 000 with `req.auth` an own property, 23 000-26 000 through this accessor (of which
// Express's dispatch of two middlewares that only call `next()` is 16 000).
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
 * Returns a function that makes sure the request prototype Express gave `req` leads to the
 * `auth` accessor; cheap when the prototype is the one seen last (one comparison per request).
 * The accessor goes on the prototype just above `IncomingMessage.prototype` (Express's own
 * `request` object, shared by every app and sub-app of that copy of Express), so `req.auth`
 * survives a sub-app handing the request back to its parent. Where there is no such
 * prototype (a request not from Express over `node:http`), or something else already owns
 * an `auth` there, nothing is installed and `req.auth = x` does what it would do anyway.
 */
export function createAuthAccessorInstaller(): (req: object) => void {
  let seen: object | null = null
  return function installAuthAccessor(req: object): void {
    const prototype = Object.getPrototypeOf(req) as object | null
    if (prototype === seen) return
    seen = prototype
    const base = requestBase(prototype)
    if (base !== undefined && !Object.prototype.hasOwnProperty.call(base, 'auth')) Object.defineProperty(base, 'auth', AUTH_ACCESSOR)
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
