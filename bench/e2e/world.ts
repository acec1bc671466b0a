/**
 * The organisation the realistic traffic comes from, and the answer the Houston policy gives
 * for it, worked out here from the roles by hand (an independent check on permgate's answers):
 *
 * - subject u-i: WORKSPACE_EDITOR (every fourth subject) or WORKSPACE_VIEWER on its home
 *   workspace, and DEPLOYMENT_EDITOR on one deployment elsewhere; no system roles, so the
 *   `system.*` alternatives of the rules never apply;
 * - WORKSPACE_X on a workspace cascades to DEPLOYMENT_X on each of its deployments.
 */
export const SUBJECTS = 10_000
export const WORKSPACES = 1_000
export const DEPLOYMENTS = 3_000

/** Access levels of Houston's roles: each includes the permissions of the one below. */
export const VIEWER = 1
export const EDITOR = 2
const LEVEL_NAMES = ['', 'VIEWER', 'EDITOR', 'ADMIN'] as const

/** The subject of the warm configuration: a workspace viewer of w1. */
export const WARM_SUBJECT = 1

export const subjectId = (i: number): string => `u-${i}`
export const workspaceId = (k: number): string => `w${k}`
export const deploymentId = (j: number): string => `d${j}`

export const workspaceOfDeployment = (j: number): number => j % WORKSPACES
export const homeWorkspace = (i: number): number => i % WORKSPACES
export const homeLevel = (i: number): number => (i % 4 === 0 ? EDITOR : VIEWER)
/** A multiplier coprime with DEPLOYMENTS spreads the subjects' own deployments evenly. */
export const ownDeployment = (i: number): number => (i * 7919) % DEPLOYMENTS

export function workspaceLevel(i: number, k: number): number {
  return homeWorkspace(i) === k ? homeLevel(i) : 0
}

export function deploymentLevel(i: number, j: number): number {
  return Math.max(ownDeployment(i) === j ? EDITOR : 0, workspaceLevel(i, workspaceOfDeployment(j)))
}

export type ScopeKind = 'workspace' | 'deployment'

/** The level a subject holds on an entity of a kind. */
export function levelOn(i: number, kind: ScopeKind, entity: number): number {
  return kind === 'workspace' ? workspaceLevel(i, entity) : deploymentLevel(i, entity)
}

/** The bindings file permgate loads: every subject of the world, and each deployment's workspace. */
export function bindingsYaml(): string {
  const lines = ['deployments:']
  for (let j = 0; j < DEPLOYMENTS; j++) lines.push(`  ${deploymentId(j)}: ${workspaceId(workspaceOfDeployment(j))}`)
  lines.push('subjects:')
  for (let i = 0; i < SUBJECTS; i++) {
    lines.push(
      `  ${subjectId(i)}:`,
      '    kind: user',
      '    bindings:',
      `      - { role: WORKSPACE_${LEVEL_NAMES[homeLevel(i)]}, workspace: ${workspaceId(homeWorkspace(i))} }`,
      `      - { role: DEPLOYMENT_EDITOR, deployment: ${deploymentId(ownDeployment(i))} }`,
    )
  }
  return `${lines.join('\n')}\n`
}
