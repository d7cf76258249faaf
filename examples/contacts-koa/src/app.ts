import Router from '@koa/router'
import { allOf, anyOf, auth, requireAuth, type AuthOptions } from '@scopeguard/koa'
import Koa from 'koa'

/** A contact in the shared address book. */
export interface Contact {
  readonly id: string
  readonly name: string
  readonly email: string
}

/** Options of {@link createApp}: `issuer` and `audience` are required, any other `auth()` option may be added. */
export type ContactsAppOptions = { issuer: string; audience: string } & Partial<AuthOptions>

const SAMPLE_CONTACTS: readonly Contact[] = [
  { id: '1', name: 'Ada Lovelace', email: 'ada@example.com' },
  { id: '2', name: 'Grace Hopper', email: 'grace@example.com' },
  { id: '3', name: 'Alan Turing', email: 'alan@example.com' },
]

/**
 * The contacts API: a shared address book held in memory, one per app, so every test gets
 * a fresh copy of the sample contacts. The verified token is on `ctx.state.auth`.
 *
 * @example
 * createApp({ issuer: 'https://tenant.auth0.com/', audience: 'https://api.example.com/contacts' }).listen(3000)
 */
export function createApp(options: ContactsAppOptions): Koa {
  const contacts = new Map(SAMPLE_CONTACTS.map((contact) => [contact.id, contact]))
  const app = new Koa()
  // Each route is guarded by one middleware, `authenticate.requireScopes()`, which verifies
  // the token and checks the scopes; routes without it, such as /health, need no token.
  // Auth0 puts RBAC permissions in a `permissions` array rather than `scope`; reading both
  // means the same routes work whether a grant is a scope or a permission.
  const authenticate = auth({ scopeClaims: ['scope', 'permissions'], ...options })
  const api = new Router()

  // Public, so load balancers can probe it without a token.
  api.get('/health', (ctx) => {
    ctx.body = { status: 'ok' }
  })

  api.get('/contacts', authenticate.requireScopes('read:contacts'), (ctx) => {
    ctx.body = [...contacts.values()]
  })

  // Any-of: an administrator, or someone allowed both to read contacts and to export them.
  api.get('/contacts/export', authenticate.requireScopes(anyOf('admin', allOf('read:contacts', 'export:contacts'))), (ctx) => {
    ctx.type = 'text/csv'
    ctx.attachment('contacts.csv')
    // Who exported is recorded in the file itself, so a leaked export can be traced.
    ctx.body = [`# exported for ${requireAuth(ctx).claims.sub}`, 'id,name,email', ...[...contacts.values()].map(csvRow)].join('\n') + '\n'
  })

  api.delete('/contacts/:id', authenticate.requireScopes('delete:contacts'), (ctx) => {
    if (!contacts.delete(ctx.params.id ?? '')) {
      ctx.status = 404
      ctx.body = { error: 'No such contact' }
      return
    }
    ctx.status = 204
  })

  app.use(api.routes()).use(api.allowedMethods())
  return app
}

/** One CSV line; fields are quoted (RFC 4180) so a comma or quote in a name cannot shift columns. */
function csvRow(contact: Contact): string {
  return [contact.id, contact.name, contact.email].map((field) => `"${field.replaceAll('"', '""')}"`).join(',')
}
