import { Rng } from '../micro/rng.js'
import { buildDocuments, entityId, type Document } from './documents.js'
import { DEPLOYMENTS, SUBJECTS, WORKSPACES, homeWorkspace, levelOn, ownDeployment } from './world.js'

/** Realistic requests cycled through: every subject's token appears, most of them twice. */
export const REALISTIC_CASES = 20_000
/** Share of realistic requests the policy denies. */
export const DENIED_SHARE = 0.2
export const CASES_SEED = 0xe2e
/** Tries for a document the chosen subject can be allowed on. */
const MAX_PICKS = 100

export interface Case {
  /** Index of the subject whose token is sent. */
  readonly subject: number
  readonly body: string
  /** What the Houston roles say: 200 when true, 403 when false. */
  readonly allowed: boolean
}

/**
 * Requests over the documents. The subjects take turns, so every token appears, except that
 * a document naming its entity in the text and meant to be allowed goes to a subject holding
 * that entity (the turn then stays). Denied requests name an entity at random; every answer
 * is worked out from the roles, not assumed.
 */
export function buildCases(count: number = REALISTIC_CASES, seed: number = CASES_SEED): Case[] {
  const rng = new Rng(seed)
  const docs = buildDocuments(seed + 1)
  const holders = docs.map((d) => (d.literal === undefined ? [] : holdersOf(d)))
  const cases: Case[] = []
  let turn = 0
  for (let n = 0; n < count; n++) {
    const wantAllowed = !rng.chance(DENIED_SHARE)
    const cycled = turn % SUBJECTS
    let made: Case | undefined
    for (let t = 0; made === undefined && t < MAX_PICKS; t++) {
      const i = rng.int(docs.length)
      made = makeCase(docs[i] as Document, holders[i] as number[], cycled, wantAllowed, rng)
    }
    if (made === undefined) throw new Error(`no document fits case ${n}`)
    if (made.subject === cycled) turn += 1
    cases.push(made)
  }
  return cases
}

function makeCase(doc: Document, holders: readonly number[], cycled: number, wantAllowed: boolean, rng: Rng): Case | undefined {
  const f = doc.field
  if (doc.literal !== undefined) {
    if (wantAllowed && holders.length === 0) return undefined
    const subject = wantAllowed ? rng.pick(holders) : cycled
    return { subject, body: JSON.stringify({ query: doc.query }), allowed: levelOn(subject, f.kind, doc.literal) >= f.level }
  }
  let entity: number
  if (wantAllowed) {
    const home = homeWorkspace(cycled)
    if (f.kind === 'workspace') entity = home
    else entity = rng.chance(0.5) ? ownDeployment(cycled) : home + WORKSPACES * rng.int(DEPLOYMENTS / WORKSPACES)
    if (levelOn(cycled, f.kind, entity) < f.level) return undefined
  } else {
    entity = rng.int(f.kind === 'workspace' ? WORKSPACES : DEPLOYMENTS)
  }
  const body = JSON.stringify({ query: doc.query, variables: { id: entityId(f, entity) } })
  return { subject: cycled, body, allowed: levelOn(cycled, f.kind, entity) >= f.level }
}

/** Subjects the roles allow on a document that names its entity. */
function holdersOf(doc: Document): number[] {
  const out: number[] = []
  const e = doc.literal as number
  for (let i = 0; i < SUBJECTS; i++) if (levelOn(i, doc.field.kind, e) >= doc.field.level) out.push(i)
  return out
}

export interface CaseSummary {
  readonly cases: number
  readonly denied: number
  readonly distinctSubjects: number
  readonly distinctDocuments: number
  readonly distinctBodies: number
}

export function summarize(cases: readonly Case[]): CaseSummary {
  return {
    cases: cases.length,
    denied: cases.filter((c) => !c.allowed).length,
    distinctSubjects: new Set(cases.map((c) => c.subject)).size,
    distinctDocuments: new Set(cases.map((c) => (JSON.parse(c.body) as { query: string }).query)).size,
    distinctBodies: new Set(cases.map((c) => c.body)).size,
  }
}
