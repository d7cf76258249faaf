import { createServer, request, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The parts of a response the assertions read; shaped like supertest's response. */
export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
  text: string
}

/**
 * Sends a request with raw header lines, e.g. two `Authorization` lines, which supertest
 * cannot send (it keeps one value per header name). With raw headers Node adds no `Host`,
 * which an HTTP/1.1 server requires, so it is sent first. Loopback only, bounded by a timeout.
 */
export async function rawRequest(listener: RequestListener, path: string, rawHeaders: readonly string[]): Promise<RawResponse> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    return await new Promise<RawResponse>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: ['Host', `127.0.0.1:${port}`, ...rawHeaders], timeout: 5000 }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => {
          let body: Record<string, unknown> = {}
          try {
            body = JSON.parse(text) as Record<string, unknown>
          } catch {
            // leave empty: the assertions on body fields will say what was wrong
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text })
        })
      })
      req.on('timeout', () => req.destroy(new Error('rawRequest timed out')))
      req.on('error', reject)
      req.end()
    })
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}
