import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

/** Where the processes of a run are placed. */
export interface CpuPlan {
  /** Whether `taskset` pins the servers and the load generator to separate CPUs. */
  readonly pinned: boolean
  /** CPU of the server (and microbenchmark) child processes, when pinned. */
  readonly serverCpu: number
  /** CPU of this process, the load generator, when pinned. */
  readonly loadCpu: number
  /** Why pinning is off, when it is. */
  readonly note: string | undefined
}

/**
 * Server and load generator on different CPUs, so autocannon's own work never competes with
 * the server under test. Needs `taskset` (util-linux) and at least two CPUs; without them the
 * run still works, unpinned, and says so in its results.
 */
export function planCpus(): CpuPlan {
  const cpus = availableParallelism()
  const probe = spawnSync('taskset', ['-V'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) {
    return { pinned: false, serverCpu: 0, loadCpu: 0, note: 'taskset not available' }
  }
  if (cpus < 2) return { pinned: false, serverCpu: 0, loadCpu: 0, note: `only ${cpus} CPU available` }
  return { pinned: true, serverCpu: 0, loadCpu: 1, note: undefined }
}

/**
 * Pins every thread of process `pid` to `cpu` (`-a`: the libuv pool and V8's threads too;
 * threads started later inherit it). Processes start unpinned and are pinned once loaded,
 * so start-up, which is not measured, can use every CPU.
 */
export function pinProcess(pid: number, cpu: number): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`taskset could not pin process ${pid} to CPU ${cpu}: ${result.stderr.trim()}`)
}

/** Pins this process, the load generator. */
export function pinSelf(cpu: number): void {
  pinProcess(process.pid, cpu)
}
