import { readFile } from 'node:fs/promises'

/** Instructions (callgrind's `Ir` total) in one dump file. */
export async function instructionsIn(path: string): Promise<number> {
  const text = await readFile(path, 'utf8')
  const events = /^events: (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/)
  const totals = /^(?:totals|summary): (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number)
  const value = totals?.[events?.indexOf('Ir') ?? -1]
  if (value === undefined) throw new Error(`${path}: no Ir total`)
  return value
}
