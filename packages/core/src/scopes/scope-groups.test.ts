import { describe, expect, it } from 'vitest'
import { groupScopesByResource, parseScopeName, type ParsedScopeName } from './scope-groups.js'

describe('parseScopeName: the resource a scope acts on', () => {
  it.each<[string, string, ParsedScopeName | undefined]>([
    ['verb:resource', 'read:contacts', { resource: 'contacts', verb: 'read' }],
    ['verb:resource:more (GitHub)', 'write:org:members', { resource: 'org', verb: 'write' }],
    ['admin as a leading verb (GitHub)', 'admin:org', { resource: 'org', verb: 'admin' }],
    ['resource:action (Slack)', 'channels:read', { resource: 'channels', verb: 'read' }],
    ['resource:action without a known verb', 'channels:history', { resource: 'channels', verb: undefined }],
    ['colon-heavy (Mendix): first part, verb last', 'mx:user:profile:v1:read', { resource: 'mx', verb: 'read' }],
    ['resource.action (Microsoft Graph)', 'Mail.Read', { resource: 'Mail', verb: 'read' }],
    ['resource.action.more', 'User.ReadWrite.All', { resource: 'User', verb: undefined }],
    ['URL-shaped: last segment up to its first dot (Google)', 'https://www.googleapis.com/auth/drive.readonly', { resource: 'drive', verb: undefined }],
    ['URL-shaped without a dot', 'https://www.googleapis.com/auth/calendar', { resource: 'calendar', verb: undefined }],
    ['URL-shaped, verb last', 'https://api.example.com/scopes/files.read', { resource: 'files', verb: 'read' }],
    ['URL-shaped with no path', 'https://api.example.com', undefined],
    ['a single word', 'admin', undefined],
    ['OpenID Connect scopes', 'openid', undefined],
    ['an empty part', 'read:', undefined],
    ['a leading dot', '.default', undefined],
  ])('%s: %s', (_case, scope, expected) => {
    expect(parseScopeName(scope)).toEqual(expected)
  })
})

describe('groupScopesByResource', () => {
  it('groups by resource in order of appearance, "Other" last, with the summary rule', () => {
    expect(groupScopesByResource([
      { scope: 'read:messages', description: 'Read your messages' },
      { scope: 'admin', description: 'Full access' },
      { scope: 'read:contacts', description: 'Read your contacts' },
      { scope: 'write:messages', description: 'Send messages as you' },
      { scope: 'https://www.googleapis.com/auth/drive.readonly', description: 'See your Drive files' },
      { scope: 'https://www.googleapis.com/auth/drive.file', description: 'Files you open with this app' },
      { scope: 'repo_hook:admin', description: 'Manage repository hooks' },
      { scope: 'openid', description: 'Sign you in' },
    ])).toEqual([
      {
        resource: 'messages',
        title: 'Messages',
        summary: 'Messages: read and write your messages',
        scopes: [
          { scope: 'read:messages', description: 'Read your messages' },
          { scope: 'write:messages', description: 'Send messages as you' },
        ],
      },
      { resource: 'contacts', title: 'Contacts', summary: 'Contacts: read your contacts', scopes: [{ scope: 'read:contacts', description: 'Read your contacts' }] },
      {
        resource: 'drive',
        title: 'Drive',
        summary: 'Drive: See your Drive files; Files you open with this app',
        scopes: [
          { scope: 'https://www.googleapis.com/auth/drive.readonly', description: 'See your Drive files' },
          { scope: 'https://www.googleapis.com/auth/drive.file', description: 'Files you open with this app' },
        ],
      },
      { resource: 'repo_hook', title: 'Repo hook', summary: 'Repo hook: administer your repo hook', scopes: [{ scope: 'repo_hook:admin', description: 'Manage repository hooks' }] },
      {
        resource: null,
        title: 'Other',
        summary: 'Other: Full access; Sign you in',
        scopes: [
          { scope: 'admin', description: 'Full access' },
          { scope: 'openid', description: 'Sign you in' },
        ],
      },
    ])
  })

  it('three verbs are joined with commas and "and", each once', () => {
    const [group] = groupScopesByResource([
      { scope: 'read:files', description: 'a' },
      { scope: 'files:read', description: 'b' },
      { scope: 'write:files', description: 'c' },
      { scope: 'delete:files', description: 'd' },
    ])
    expect(group?.summary).toBe('Files: read, write and delete your files')
  })

  it('no scopes, no groups', () => {
    expect(groupScopesByResource([])).toEqual([])
  })
})
