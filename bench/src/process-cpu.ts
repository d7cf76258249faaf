import { readdirSync, readFileSync } from 'node:fs'

/**
 * CPU time that process `pid` has run so far, in seconds, summed over its threads (libuv's
 * pool and V8's helpers included): the first field of each thread's `/proc/<pid>/task/<tid>/schedstat`,
 * in nanoseconds. Not `/proc/<pid>/stat`, whose 10 ms ticks would give a 2 s sample's ratio
 * an error of several per cent. `undefined` where `/proc` has no such files (not Linux, or
 * the process has gone).
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  let threads: string[]
  try {
    threads = readdirSync(`/proc/${pid}/task`)
  } catch {
    return undefined
  }
  let nanoseconds = 0
  for (const thread of threads) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ', 1)[0])
    } catch {
      // A thread that ended between the listing and the read (a loaded server starts none).
    }
  }
  return Number.isFinite(nanoseconds) ? nanoseconds / 1e9 : undefined
}
