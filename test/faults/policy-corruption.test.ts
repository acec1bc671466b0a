/**
 * The policy's files go bad while permgate serves them (garbage, truncated, emptied, deleted,
 * replaced by a directory), with load flowing: the loaded policy keeps deciding every request
 * as before (no 5xx), the failed reload is counted in permgate_policy_reloads_total{result="error"},
 * and a valid changed file afterwards takes effect. (An invalid edit of a valid file, and a
 * bindings change under load: test/http/reload.test.ts.)
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { AUTH_CONFIG, CORRUPTIONS, corruptionCase, DEPLOYMENTS, INTROSPECTION, startGate, type Gate, type WatchedFile } from './helpers.js'

let g: Gate
beforeAll(async () => {
  g = await startGate()
})
afterAll(() => g.close())

const FILES: readonly WatchedFile[] = [
  {
    label: 'roles.yaml',
    path: (gate) => join(gate.policyDir, 'roles.yaml'),
    // USER, which every authenticated caller holds, also lists every deployment
    change: (good) => good.replace('? system.workspace.create', '? system.workspace.create\n      ? system.deployments.get'),
    shows: { subject: 'u-viewer', body: DEPLOYMENTS, before: 403, after: 200 },
  },
  {
    label: 'rules.yaml',
    path: (gate) => join(gate.policyDir, 'rules.yaml'),
    change: (good) => good.replace('- field: Query.authConfig\n    access: public', '- field: Query.authConfig\n    access: authenticated'),
    shows: { subject: null, body: AUTH_CONFIG, before: 200, after: 401 },
  },
  {
    label: 'policy.yaml (the manifest)',
    path: (gate) => join(gate.policyDir, 'policy.yaml'),
    change: (good) => good.replace('introspection: authenticated', 'introspection: public'),
    shows: { subject: null, body: INTROSPECTION, before: 401, after: 200 },
  },
]

describe.each(FILES)('$label corrupted while loaded, under load', (f) => {
  it.each(CORRUPTIONS)('$name: the loaded policy keeps serving, the failure is counted, a fixed file is taken', (c) => corruptionCase(g, f, c))
})
