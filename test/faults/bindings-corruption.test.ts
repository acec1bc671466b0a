/**
 * The bindings file goes bad while permgate serves it (garbage, truncated, emptied, deleted,
 * replaced by a directory), with load flowing: the loaded bindings keep deciding every request
 * as before (no 5xx), the failed reload is counted in permgate_policy_reloads_total{result="error"},
 * and a valid changed file afterwards takes effect. (A bindings change under load, and an
 * invalid edit of a valid roles file: test/http/reload.test.ts.)
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import { CORRUPTIONS, corruptionCase, startGate, VIEWER_W1, type Gate, type WatchedFile } from './helpers.js'

let g: Gate
beforeAll(async () => {
  g = await startGate()
})
afterAll(() => g.close())

const BINDINGS_FILE: WatchedFile = {
  label: 'bindings.yaml',
  path: (gate) => gate.bindingsFile,
  change: (good) => good.replace('bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 } ]', 'bindings: []'),
  shows: { subject: 'u-viewer', body: VIEWER_W1, before: 200, after: 403 },
}

describe('bindings.yaml corrupted while loaded, under load', () => {
  it.each(CORRUPTIONS)('$name: the loaded bindings keep serving, the failure is counted, a fixed file is taken', (c) => corruptionCase(g, BINDINGS_FILE, c))
})
