import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** ../shared beside the repository: the Houston facts and the seed documents. */
export const SHARED = join(ROOT, '..', 'shared')

export interface HoustonOperation {
  type: 'Query' | 'Mutation' | 'Subscription'
  field: string
  args: { name: string; type: string }[]
  access: 'public' | 'authenticated' | 'permission'
  permissions: string[]
  combinator: 'AND' | 'OR' | null
  scopeArgs: string[]
}

export type HoustonRoles = Record<string, { name: string; permissions: string[] }>

export function houstonOperations(): HoustonOperation[] {
  return JSON.parse(readFileSync(join(SHARED, 'houston', 'operations-v0.12.1.json'), 'utf8')) as HoustonOperation[]
}

export function houstonRoles(file: 'roles-v0.12.1.json' | 'roles-0.35.json'): HoustonRoles {
  return JSON.parse(readFileSync(join(SHARED, 'houston', file), 'utf8')) as HoustonRoles
}

export const POLICY_HOUSTON = join(ROOT, 'policies', 'houston')
export const POLICY_HOUSTON_035 = join(ROOT, 'policies', 'houston-0.35')
