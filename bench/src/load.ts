import autocannon from 'autocannon'

export interface LoadSample {
  /** 2xx responses per second. */
  readonly requestsPerSecond: number
  /** Non-2xx responses, errors and timeouts; a valid sample has none. */
  readonly failed: number
  readonly seconds: number
  /** CPU time of this process (the load generator) per second: near 1, the sample measured autocannon, not the server. */
  readonly loaderCpu: number
}

/** Load-generator CPU share from which a sample is marked as not having saturated the server. */
export const LOADER_BOUND = 0.9

/**
 * One autocannon run against `url` over keep-alive connections, for `seconds` or for exactly
 * `amount` requests. `token` is sent on every request, or called once per request.
 */
export function runLoad(url: string, connections: number, token: string | (() => string), length: { seconds: number } | { amount: number }): Promise<LoadSample> {
  const cpuBefore = process.cpuUsage()
  const options: autocannon.Options = {
    url,
    connections,
    ...('amount' in length ? { amount: length.amount } : { duration: length.seconds }),
    ...(typeof token === 'string'
      ? { headers: { authorization: `Bearer ${token}` } }
      : { requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${token()}` } }) }] }),
  }
  return new Promise((resolve, reject) => {
    autocannon(options, (error: unknown, result: autocannon.Result) => {
      if (error) return reject(error instanceof Error ? error : new Error(String(error)))
      const cpu = process.cpuUsage(cpuBefore)
      resolve({
        requestsPerSecond: result['2xx'] / result.duration,
        failed: result.non2xx + result.errors + result.timeouts,
        seconds: result.duration,
        loaderCpu: (cpu.user + cpu.system) / 1e6 / result.duration,
      })
    })
  })
}
