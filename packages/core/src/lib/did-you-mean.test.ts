import { describe, expect, it } from 'vitest'
import { closestMatch, editDistance } from './did-you-mean.js'

const KNOWN = ['read:appointments', 'write:appointments', 'read:contacts', 'admin']

describe('closestMatch', () => {
  it.each<[string, string | undefined]>([
    ['read:apointments', 'read:appointments'],
    ['write:appointment', 'write:appointments'],
    ['READ:CONTACTS', 'read:contacts'],
    ['admn', 'admin'],
    ['delete', undefined],
    ['billing:invoices', undefined],
  ])('%s → %s', (value, expected) => {
    expect(closestMatch(value, KNOWN)).toBe(expected)
  })
})

describe('editDistance (Levenshtein)', () => {
  it.each<[string, string, number]>([
    ['', '', 0],
    ['a', '', 1],
    ['kitten', 'sitting', 3],
    ['read', 'read', 0],
    ['read:apointments', 'read:appointments', 1],
  ])('%s / %s → %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected)
    expect(editDistance(b, a)).toBe(expected)
  })
})
