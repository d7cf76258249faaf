import { formatTable } from './report.js'

/** The parts of a V8 `.cpuprofile` this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
    readonly children?: readonly number[]
  }[]
  readonly samples: readonly number[]
  /** Microseconds since the previous sample. */
  readonly timeDeltas: readonly number[]
}

/** Time attributed to one function or category, in microseconds. */
export interface Share {
  readonly name: string
  readonly where: string
  readonly micros: number
}

/** Where a profile's main-thread time went. */
export interface ProfileSummary {
  readonly totalMicros: number
  /** Self time by package or runtime area. */
  readonly categories: Share[]
  /** Self time by function. */
  readonly selfTime: Share[]
}

/**
 * Names the package or runtime area a script belongs to: `jose`, `express`, `@scopeguard/core`
 * (built or from source), `node:_http_server`, or a V8 pseudo-frame such as `(garbage collector)`.
 */
export function category(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const scopeguard = /\/packages\/(core|express|koa|testing)\//.exec(url)
  if (scopeguard !== null) return `@scopeguard/${scopeguard[1]}`
  const modules = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)]
  const last = modules.at(-1)
  if (last !== undefined) return last[1] as string
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/')
  if (url.includes('/bench/src/')) return 'bench server'
  return url
}

/** Summarises a profile: self time per category and per function. */
export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const key = (id: number): string => {
    const frame = byId.get(id)?.callFrame
    return frame === undefined ? '?' : `${frame.functionName || '(anonymous)'}\u0000${frame.url}:${frame.lineNumber + 1}`
  }
  // A native frame (a C++ binding such as a crypto job's `run`) is charged to the area of the
  // JavaScript that called it.
  const areaOf = (id: number): string => {
    const frame = byId.get(id)?.callFrame
    if (frame === undefined) return '?'
    if (frame.url !== '' || frame.functionName.startsWith('(')) return category(frame.url, frame.functionName)
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const caller = byId.get(at)?.callFrame
      if (caller !== undefined && caller.url !== '') return `${category(caller.url, caller.functionName)} (native)`
    }
    return '(native)'
  }
  const self = new Map<string, number>()
  const categories = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index + 1] ?? 0
    total += micros
    const frame = byId.get(id)?.callFrame
    if (frame === undefined) return
    self.set(key(id), (self.get(key(id)) ?? 0) + micros)
    const area = areaOf(id)
    categories.set(area, (categories.get(area) ?? 0) + micros)
  })
  const shares = (map: Map<string, number>): Share[] =>
    [...map]
      .map(([name, micros]) => {
        const [fn, where] = name.split('\u0000')
        return { name: fn as string, where: where ?? '', micros }
      })
      .sort((a, b) => b.micros - a.micros)
  return { totalMicros: total, categories: shares(categories), selfTime: shares(self) }
}

const percent = (micros: number, total: number): string => `${((micros / total) * 100).toFixed(1)}%`

/**
 * Readable form of a summary: categories, top functions by self time, and the functions of
 * the verification path (scopeguard, jose, lru-cache) by self time. With `requests`, times
 * also read as microseconds per request.
 */
export function formatSummary(summary: ProfileSummary, requests?: number, top = 25): string {
  const { totalMicros: total } = summary
  const perRequest = (micros: number): string => (requests === undefined || requests === 0 ? '' : `${(micros / requests).toFixed(1)} µs`)
  const short = (where: string): string => where.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(packages|bench)\//, '$1/')
  const categories = formatTable(summary.categories.slice(0, top).map((share) => [share.name, percent(share.micros, total), perRequest(share.micros)]), 1)
  const selfTime = formatTable(
    summary.selfTime.slice(0, top).map((share) => [share.name, short(share.where), percent(share.micros, total), perRequest(share.micros)]),
    2,
  )
  // Async functions resume from the microtask queue and middleware calls next() inside
  // itself, so inclusive times would mix in the rest of the request; self time does not.
  const path = summary.selfTime.filter((share) => /packages\/(core|express|koa)\/|node_modules\/(jose|lru-cache)\//.test(share.where)).slice(0, top)
  const verification = formatTable(path.map((share) => [share.name, short(share.where), percent(share.micros, total), perRequest(share.micros)]), 2)
  return [
    `self time by area${requests === undefined ? '' : ' (and per request)'}\n${categories}`,
    `self time by function\n${selfTime}`,
    `the verification path (scopeguard, jose, lru-cache), self time\n${verification}`,
  ].join('\n\n')
}
