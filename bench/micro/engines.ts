import type { MongoAbility } from '@casl/ability'
import type { Enforcer } from 'casbin'
import type { Authorizer } from '../../src/policy/authorizer.js'
import { decide } from '../../src/policy/decide.js'
import type { PrincipalMasks } from '../../src/policy/principal.js'
import type { Case } from './cases.js'
import { casbinDecide, type CasbinCase } from './casbin-peer.js'
import { caslDecide, type CaslCase } from './casl-peer.js'
import type { Engine } from './timing.js'

/** permgate: `authorizer.decide` on pre-extracted operations; principal masks cached after the first call. */
export function permgateEngine(name: string, authorizer: Authorizer, cases: readonly Case[]): Engine {
  return {
    name,
    cases: cases.length,
    pass() {
      let allowed = 0
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i] as Case
        if (authorizer.decide(c.principal, c.op, c.variables).allowed) allowed++
      }
      return allowed
    },
  }
}

/**
 * For information: the pure `decide` alone, each case's principal masks fetched beforehand and
 * no decision reused: every case is decided from the bitsets.
 */
export function decideOnlyEngine(name: string, authorizer: Authorizer, cases: readonly Case[]): Engine {
  const masks: PrincipalMasks[] = cases.map((c) => authorizer.masks(c.principal))
  const policy = authorizer.policy
  return {
    name,
    cases: cases.length,
    pass() {
      let allowed = 0
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i] as Case
        if (decide(policy, masks[i] as PrincipalMasks, c.op, c.variables).allowed) allowed++
      }
      return allowed
    },
  }
}

export function casbinEngine(enforcer: Enforcer, cases: readonly CasbinCase[]): Engine {
  return {
    name: 'casbin',
    cases: cases.length,
    pass() {
      let allowed = 0
      for (let i = 0; i < cases.length; i++) if (casbinDecide(enforcer, cases[i] as CasbinCase)) allowed++
      return allowed
    },
  }
}

export function caslEngine(abilities: ReadonlyMap<string, MongoAbility>, cases: readonly CaslCase[]): Engine {
  return {
    name: 'CASL',
    cases: cases.length,
    pass() {
      let allowed = 0
      for (let i = 0; i < cases.length; i++) if (caslDecide(abilities, cases[i] as CaslCase)) allowed++
      return allowed
    },
  }
}
