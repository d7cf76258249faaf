import autocannon from 'autocannon'
import { percentileOfSorted } from './stats.js'

/** One bounded load sample against one server. */
export interface LoadSample {
  /** Successful (2xx) responses per second. */
  readonly requestsPerSecond: number
  /** Median latency of all responses, in milliseconds. */
  readonly p50: number
  /** 99th percentile latency, in milliseconds. */
  readonly p99: number
  /** 2xx responses. */
  readonly ok: number
  /** Non-2xx responses, connection errors and timeouts; a valid sample has none. */
  readonly failed: number
  /** Wall time of the sample, in seconds. */
  readonly seconds: number
  /**
   * CPU time of this process (the load generator) per second of the sample. Near 1 on its one
   * pinned CPU, the figures measure autocannon, not the server.
   */
  readonly loaderCpu: number
}

/** Load-generator CPU share above which a sample counts as limited by the load generator. */
export const LOADER_BOUND = 0.9

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Full URL of the route. */
  readonly url: string
  /** Concurrent keep-alive connections. */
  readonly connections: number
  /** Duration in seconds; ignored when `amount` is set. */
  readonly seconds?: number
  /** Send exactly this many requests instead of running for `seconds`. */
  readonly amount?: number
  /**
   * The bearer token of each request: one fixed string (sent on every request), or a function
   * called once per request (a rotating pool, or freshly minted tokens). `undefined` sends none.
   */
  readonly token?: string | (() => string)
}

/**
 * Runs autocannon against `url`. Latencies are recorded here from every response with
 * sub-millisecond precision: autocannon's own histogram rounds to whole milliseconds, which at
 * a few milliseconds per request would make p50 ratios move in 20 % steps.
 */
export function runLoad(options: LoadOptions): Promise<LoadSample> {
  const { token } = options
  const fixedHeaders = typeof token === 'string' ? { authorization: `Bearer ${token}` } : undefined
  // setupRequest runs once per request, so each carries the next token.
  const requests = typeof token === 'function'
    ? [{
        method: 'GET' as const,
        setupRequest: (request: autocannon.Request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${token()}` } }),
      }]
    : undefined
  const latencies: number[] = []
  const cpuBefore = process.cpuUsage()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        ...(options.amount === undefined ? { duration: options.seconds ?? 3 } : { amount: options.amount }),
        ...(fixedHeaders === undefined ? {} : { headers: fixedHeaders }),
        ...(requests === undefined ? {} : { requests }),
      },
      (error: unknown, result: autocannon.Result) => {
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)))
          return
        }
        const sorted = Float64Array.from(latencies).sort()
        const cpu = process.cpuUsage(cpuBefore)
        resolve({
          requestsPerSecond: result['2xx'] / result.duration,
          p50: percentileOfSorted(sorted, 50),
          p99: percentileOfSorted(sorted, 99),
          ok: result['2xx'],
          failed: result.non2xx + result.errors + result.timeouts,
          seconds: result.duration,
          loaderCpu: (cpu.user + cpu.system) / 1e6 / result.duration,
        })
      },
    )
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime)
    })
  })
}
