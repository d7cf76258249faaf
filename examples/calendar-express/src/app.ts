import { allOf, anyOf, auth, requireAuth, requireScopes, type AuthOptions } from '@scopeguard/express'
import express, { type Express, type Request } from 'express'

/** An appointment in a user's calendar. */
export interface Appointment {
  readonly id: string
  readonly title: string
  /** Start time as an ISO 8601 string, e.g. `2030-01-01T09:00:00Z`. */
  readonly start: string
  /** `sub` of the user who created it. */
  readonly owner: string
}

/** Options of {@link createApp}: `issuer` and `audience` are required, any other `auth()` option may be added. */
export type CalendarAppOptions = { issuer: string; audience: string } & Partial<AuthOptions>

/**
 * The calendar API. Appointments live in memory, one store per app, so every test gets a
 * fresh calendar. Each user (token `sub`) sees and changes only their own appointments;
 * the `admin` scope may delete anyone's.
 *
 * @example
 * createApp({ issuer: 'https://idp.example.com/', audience: 'https://api.example.com/calendar' }).listen(3000)
 */
export function createApp(options: CalendarAppOptions): Express {
  const appointments = new Map<string, Appointment>()
  let lastId = 0

  const app = express()
  app.use(express.json())

  // Declared before auth(), so load balancers can probe it without a token.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })

  // Everything below needs a valid bearer token; auth() checks its options now, so a
  // misconfigured issuer or audience stops the app at start-up rather than on first request.
  // A calendar belongs to a user, so tokens without `sub` (e.g. client credentials) are refused.
  app.use(auth({ requiredClaims: ['exp', 'sub'], ...options }))

  app.get('/appointments', requireScopes('read:appointments'), (req, res) => {
    res.json([...appointments.values()].filter((appointment) => appointment.owner === requireAuth(req).claims.sub))
  })

  // Creating returns the new appointment, so writing also needs read (all-of).
  app.post('/appointments', requireScopes('read:appointments', 'write:appointments'), (req, res) => {
    const { title, start } = (req.body ?? {}) as { title?: unknown; start?: unknown }
    if (typeof title !== 'string' || title.trim() === '' || typeof start !== 'string' || Number.isNaN(Date.parse(start))) {
      res.status(400).json({ error: 'Send JSON { "title": string, "start": ISO 8601 date-time }' })
      return
    }
    // `as string`: auth() above requires the `sub` claim.
    const appointment: Appointment = { id: String(++lastId), title, start, owner: requireAuth(req).claims.sub as string }
    appointments.set(appointment.id, appointment)
    res.status(201).location(`/appointments/${appointment.id}`).json(appointment)
  })

  // Any-of: an administrator, or a user who may read and write their own calendar.
  app.delete('/appointments/:id', requireScopes(anyOf('admin', allOf('read:appointments', 'write:appointments'))), (req: Request<{ id: string }>, res) => {
    const appointment = appointments.get(req.params.id)
    // Another user's appointment answers 404, not 403: its existence is not theirs to know.
    if (appointment === undefined || (appointment.owner !== requireAuth(req).claims.sub && !requireAuth(req).scopes.has('admin'))) {
      res.status(404).json({ error: 'No such appointment' })
      return
    }
    appointments.delete(appointment.id)
    res.status(204).end()
  })

  return app
}
