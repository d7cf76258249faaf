import { IncomingMessage } from 'node:http'

// Why `req.auth` is an accessor on Express's request prototype and not a property of each
// request: Express replaces every request's prototype (`setPrototypeOf(req, app.request)`),
// which leaves each request object with a hidden class of its own, so a property added to it
// makes V8 build a new one. Counted with callgrind (`pnpm --filter @scopeguard/bench run
// instructions`, one reused token): `req.auth = x` alone cost about 45 000 instructions per
// request, half of what scopeguard cost in all with `req.auth` an own property; through this
// accessor the whole of auth() + requireScopes() costs 21 000-26 000. `res.locals` (a
// dictionary Express makes per request) counted the same, but an app that replaces
// `res.locals` would lose the value.
//
// It still behaves as a property: whoever assigns `req.auth` stores the value and reads it
// back, `'auth' in req` holds, and each value lives as long as its request. It is not an own
// property (`Object.keys(req)` does not list it), and `delete req.auth` leaves it in place:
// assign `undefined` instead.

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
 * Reads and writes `req.auth` for scopeguard, straight from and to the accessor's WeakMap
 * where it is in place: V8 can cache no property access on an Express request, so each
 * `req.auth` access is a prototype-chain lookup in its runtime (3 800-6 400 instructions per
 * request for one read and one write). Others go through the accessor, into the same WeakMap.
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
