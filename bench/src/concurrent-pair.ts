import { runLoad } from './load.js'
import { processCpuSeconds } from './process-cpu.js'

/** One side of a concurrent pair: a server's URL and the token(s) it is sent. */
export interface PairSide {
  readonly url: string
  readonly token: string | (() => string)
  /** The server's process, whose CPU time the sample reads (see `PairSample.cpuShareA`). */
  readonly pid?: number | undefined
}

/** Throughputs of two servers loaded at the same time, and what the load generator used. */
export interface PairSample {
  /** Successful responses per second of each side. */
  readonly a: number
  readonly b: number
  /** `a / b`. */
  readonly ratio: number
  /**
   * Side a's share of the CPU time the two servers used during the sample: the check of this
   * method's premise, 0.5 when the scheduler shared the CPU fairly (pair medians have read 0.496–0.504).
   * `undefined` where the processes' CPU time cannot be read.
   */
  readonly cpuShareA: number | undefined
  /** CPU share of the load generator (both loads together); at `LOADER_BOUND`, the pair measured autocannon. */
  readonly loaderCpu: number
  /** Failed requests on either side; a valid sample has none. */
  readonly failed: number
}

/**
 * Loads two servers at once, half the connections each, and returns their throughput ratio.
 *
 * Why: on a shared machine the speed of a CPU moves by 2–3× within seconds (other tenants,
 * the hypervisor), more than the differences being measured, and two samples taken one after
 * the other see different machines. Two servers pinned to the same CPU and loaded together
 * see the same machine at every instant; the kernel's fair scheduler gives each the same CPU
 * time, so their throughputs stand in the ratio of their costs per request. That holds only
 * while both are always runnable (each gets enough connections; the load generator is not
 * at its limit, see `loaderCpu`) and when the scheduler shares between the two processes, not
 * between their threads: servers are started in sessions of their own (`startChild`), which
 * gives each its own scheduling group, so a server whose signature checks run on libuv's
 * thread pool gets no more CPU than one that checks on its main thread. Each sample reads
 * both processes' CPU time to check that premise (`cpuShareA`): it has held, so where two
 * instances of one server read apart, they ran at different speeds on equal time.
 */
export async function runConcurrentPair(a: PairSide, b: PairSide, connections: number, seconds: number): Promise<PairSample> {
  const half = Math.max(1, Math.round(connections / 2))
  const cpuBefore = process.cpuUsage()
  const serverCpuBefore = [processCpuSeconds(a.pid), processCpuSeconds(b.pid)]
  const started = performance.now()
  const [sampleA, sampleB] = await Promise.all([
    runLoad({ url: a.url, connections: half, seconds, token: a.token }),
    runLoad({ url: b.url, connections: half, seconds, token: b.token }),
  ])
  const cpu = process.cpuUsage(cpuBefore)
  const wall = (performance.now() - started) / 1000
  const cpuA = difference(processCpuSeconds(a.pid), serverCpuBefore[0])
  const cpuB = difference(processCpuSeconds(b.pid), serverCpuBefore[1])
  return {
    a: sampleA.requestsPerSecond,
    b: sampleB.requestsPerSecond,
    ratio: sampleA.requestsPerSecond / sampleB.requestsPerSecond,
    cpuShareA: cpuA !== undefined && cpuB !== undefined && cpuA + cpuB > 0 ? cpuA / (cpuA + cpuB) : undefined,
    loaderCpu: (cpu.user + cpu.system) / 1e6 / wall,
    failed: sampleA.failed + sampleB.failed,
  }
}

function difference(after: number | undefined, before: number | undefined): number | undefined {
  return after === undefined || before === undefined ? undefined : after - before
}
