import type { CompiledPolicy } from '../policy/types.js'
import type { DecisionChange, PolicyDiff } from '../policy/diff.js'
import type { CounterRow, CountersView } from './counters.js'
import type { PolicyView, RuleView } from './policy-view.js'
import type { ConditionDef, GrantDef } from '../policy/types.js'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes a string for HTML text and (quoted) attribute values. Every dynamic string goes through it. */
export function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0 1.5em 3em;color:#222}
header{display:flex;gap:1em;align-items:baseline;border-bottom:1px solid #ccc;padding:.6em 0}
header h1{font-size:1.2em;margin:0}
nav a{margin-right:1em}
section{margin-top:1.5em}
table{border-collapse:collapse;font-size:12px}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
thead th{background:#f4f4f4;position:sticky;top:0}
.matrix td.cell{text-align:center;min-width:2.2em}
.matrix td.direct{background:#cfe8cf}
.matrix td.inherited{background:#eef7ee;color:#555}
.overlay{outline:2px solid #e08a00;outline-offset:-2px}
th.overlay{background:#ffe2b3}
.allow{color:#17692b}.deny{color:#a11}
pre{background:#f6f6f6;padding:.6em;overflow:auto}
label{display:block;margin:.3em 0}
textarea,input[type=text]{width:100%;max-width:48em;font:12px monospace}
.error{color:#a11;font-weight:bold}
.legend span{margin-right:1.2em}
`

export interface PageParts {
  readonly policy: CompiledPolicy
  readonly csrf: string | undefined
  readonly view: PolicyView
  readonly counters: CountersView
  readonly explain?: ExplainResult | undefined
  readonly explainForm?: Readonly<Record<string, string>> | undefined
  readonly diff?: DiffResult | undefined
  readonly diffPath?: string | undefined
}

export type ExplainResult = { readonly allowed: boolean; readonly lines: readonly string[] } | { readonly error: string }
export type DiffResult = { readonly diff: PolicyDiff; readonly candidate: CompiledPolicy } | { readonly error: string }

function layout(title: string, body: string, script = true): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>${STYLE}</style>
${script ? '<script src="/explorer/app.js" defer></script>' : ''}
</head><body>
${body}
</body></html>
`
}

export function loginPage(error: string | undefined): string {
  return layout('permgate explorer: log in', `<header><h1>permgate policy explorer</h1></header>
<section><form method="post" action="/explorer/login">
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form></section>`, false)
}

const csrfField = (csrf: string | undefined): string => (csrf === undefined ? '' : `<input type="hidden" name="csrf" value="${esc(csrf)}">`)

export function explorerPage(p: PageParts): string {
  const pol = p.policy
  const overlays = pol.source.overlays
  return layout(`permgate explorer: ${pol.name}`, `<header><h1>permgate policy explorer</h1>
<span id="policy-name">policy <b>${esc(pol.name)}</b> (${esc(pol.revision)})${overlays.length ? ` + ${overlays.length} overlay(s)` : ''}</span>
${p.csrf === undefined ? '' : `<form method="post" action="/explorer/logout">${csrfField(p.csrf)}<button type="submit">Log out</button></form>`}
</header>
<nav><a href="#explain">Explain</a><a href="#counters">Counters</a><a href="#matrix">Roles</a><a href="#rules">Rules</a><a href="#diff">Diff</a></nav>
${explainSection(p)}
${countersSection(p.counters)}
${matrixSection(p.view)}
${rulesSection(p.view.rules, pol.source.publicSignups)}
${diffSection(p)}`)
}

function explainSection(p: PageParts): string {
  const f = p.explainForm ?? {}
  const v = (k: string): string => esc(f[k] ?? '')
  return `<section id="explain"><h2>Explain a request</h2>
<p>The decision the active policy and bindings would make, as <code>permgate explain</code> prints it. A subject left empty (and no claims) is anonymous. Claims are not verified.</p>
<form id="explain-form" method="post" action="/explorer/explain#explain">${csrfField(p.csrf)}
<label>Subject <input type="text" name="subject" value="${v('subject')}" placeholder="u-viewer"></label>
<label>Groups (comma-separated) <input type="text" name="groups" value="${v('groups')}"></label>
<label>or token claims (JSON object) <textarea name="claims" rows="2">${v('claims')}</textarea></label>
<label>Query <textarea name="query" rows="4" required>${v('query')}</textarea></label>
<label>Variables (JSON object) <textarea name="variables" rows="2">${v('variables')}</textarea></label>
<label>Operation name <input type="text" name="operationName" value="${v('operationName')}"></label>
<label>Client IP <input type="text" name="clientIp" value="${v('clientIp')}"></label>
<button type="submit">Explain</button>
</form>
<div id="explain-result">${p.explain === undefined ? '' : explainResult(p.explain)}</div>
</section>`
}

export function explainResult(r: ExplainResult): string {
  if ('error' in r) return `<p class="error" role="alert">${esc(r.error)}</p>`
  return `<p id="explain-decision" class="${r.allowed ? 'allow' : 'deny'}"><b>${r.allowed ? 'ALLOWED' : 'DENIED'}</b></p>
<pre id="explain-lines">${esc(r.lines.join('\n'))}</pre>`
}

const rowKey = (r: CounterRow): string => `${r.decision}|${r.reason}|${r.operation_type}`

function countersSection(c: CountersView): string {
  return `<section id="counters"><h2>Decisions, last minutes</h2>
<p>From <code>permgate_decisions_total</code>, sampled every ${esc(c.sampledEverySeconds)} s (times UTC; the last minute is in progress).</p>
<div id="counters-table">${countersTable(c)}</div></section>`
}

/** Rows: decision, operation type, reason; columns: each minute, the window, since start. */
export function countersTable(c: CountersView): string {
  const keys = new Map<string, CounterRow>()
  for (const r of c.sinceStart) keys.set(rowKey(r), r)
  const minutes = c.minutes.map((m) => new Map(m.decisions.map((r) => [rowKey(r), r.count])))
  const window = new Map(c.window.map((r) => [rowKey(r), r.count]))
  const head = c.minutes.map((m) => `<th>${esc(m.start.slice(11, 16))}</th>`).join('')
  const rows = [...keys.values()]
    .sort((a, b) => a.decision.localeCompare(b.decision) || a.operation_type.localeCompare(b.operation_type) || a.reason.localeCompare(b.reason))
    .map((r) => {
      const k = rowKey(r)
      return `<tr data-key="${esc(k)}"><td class="${r.decision === 'allow' ? 'allow' : 'deny'}">${esc(r.decision)}</td><td>${esc(r.operation_type)}</td><td>${esc(r.reason)}</td>` +
        minutes.map((m) => `<td>${esc(m.get(k) ?? 0)}</td>`).join('') +
        `<td class="window">${esc(window.get(k) ?? 0)}</td><td>${esc(r.count)}</td></tr>`
    })
  return `<table class="counters"><thead><tr><th>decision</th><th>operation</th><th>reason</th>${head}<th>window</th><th>since start</th></tr></thead>
<tbody>${rows.join('\n') || `<tr><td colspan="${5 + c.minutes.length}">no decisions yet</td></tr>`}</tbody></table>`
}

function matrixSection(v: PolicyView): string {
  const m = v.matrix
  const head = m.roles
    .map((r) => `<th data-role="${esc(r.id)}"${r.overlays.length ? ` class="overlay" title="changed by ${esc(r.overlays.join(', '))}"` : ` title="${esc(r.name)}"`}>${esc(r.id)}${r.overlays.length ? ' †' : ''}</th>`)
    .join('')
  const rows = m.permissions.map((p) => {
    const cells = m.roles.map((r) => {
      const c = r.cells.get(p)
      if (c === undefined) return '<td></td>'
      const mark = c.state === 'direct' ? '●' : c.state === 'inherited' ? '○' : c.overlay === 'revoked' ? '✕' : ''
      const title = [c.state === 'inherited' ? `inherited from ${c.from.join(', ') || 'another role'}` : c.state, c.overlay ? `${c.overlay} by an overlay` : '']
        .filter(Boolean).join('; ')
      const cls = ['cell', c.state, c.overlay ? 'overlay' : ''].filter(Boolean).join(' ')
      return `<td class="${cls}" data-role="${esc(r.id)}" data-perm="${esc(p)}" data-state="${c.state}"${c.overlay ? ` data-overlay="${c.overlay}"` : ''} title="${esc(title)}">${mark}</td>`
    })
    return `<tr><th scope="row">${esc(p)}</th>${cells.join('')}</tr>`
  })
  return `<section id="matrix"><h2>Roles and permissions</h2>
<p class="legend"><span>● direct</span><span>○ inherited</span><span>✕ revoked by an overlay</span><span class="overlay">† / outlined: changed by an overlay</span></p>
<table class="matrix"><thead><tr><th>permission</th>${head}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></section>`
}

function grantText(g: GrantDef): string {
  const parts = g.each === undefined ? [`role from ${g.role.join('.')}`] : [`each element of ${g.each.join('.')}: role from ${g.role.join('.')}`]
  if (g.scope !== undefined) parts.push(`scope ${g.scope}`)
  if (g.scopeFrom !== undefined) parts.push(`scope from ${g.scopeFrom.arg.join('.')} (${[...g.scopeFrom.values].map(([k, s]) => `${k}: ${s}`).join(', ')})`)
  if (g.entity !== undefined) parts.push(`entity from ${g.entity.join('.')}`)
  if (g.within !== undefined) parts.push(`deployments within the workspace ${g.within.join('.')}`)
  if (g.default !== undefined) parts.push(`default ${g.default}`)
  if (g.optional) parts.push('optional')
  return `escalation guard: ${parts.join(', ')}`
}

function conditionText(c: ConditionDef | undefined, policy: { publicSignups: boolean }): string[] {
  if (c === undefined) return []
  const out: string[] = []
  for (const g of c.grants ?? []) out.push(grantText(g))
  if (c.invite !== undefined) out.push(`invite token in ${c.invite.join('.')}${policy.publicSignups ? ' (inactive: publicSignups is true)' : ''}`)
  if (c.principals !== undefined) out.push(`principals: ${[...c.principals].join(', ')}`)
  if (c.ipAllow !== undefined) out.push(`ipAllow: ${c.ipAllow.join(', ')}`)
  return out
}

function rulesSection(rules: readonly RuleView[], publicSignups: boolean): string {
  const rows = rules.map((v) => {
    const r = v.rule
    const scope = r.scope.map((s) => `${s.kind}: ${s.path.join('.')}${s.lookup === undefined ? '' : ` (by ${s.lookup})`}`).join(', ')
    const passes = v.passes === 'anyone'
      ? 'anyone (no credential needed)'
      : v.passes === 'authenticated'
        ? 'every authenticated principal'
        : v.passes.length === 0
          ? '<span class="deny">no role</span>'
          : v.passes.map((p) => `${esc(p.role)} <small>(${esc(p.scopes.join(', '))})</small>`).join('<br>')
    const cond = conditionText(v.condition, { publicSignups }).map(esc).join('<br>')
    return `<tr data-rule="${esc(r.key)}"><td>${esc(r.key)}</td><td>${esc(r.access)}</td><td>${esc(r.permissions.join(', '))}</td>` +
      `<td>${r.access === 'permission' && r.permissions.length > 1 ? esc(r.op) : ''}</td><td>${esc(scope)}</td><td>${cond}</td><td>${passes}</td></tr>`
  })
  return `<section id="rules"><h2>Operation rules (${rules.length})</h2>
<p>Who passes: each role bound alone (with the synthetic roles every authenticated principal holds) at system scope, on the workspace or deployment the rule's scope argument names, or on the deployment's workspace through the cascade. System permissions come from system-scope bindings only. Conditions are checked on top.</p>
<table class="rules"><thead><tr><th>field</th><th>access</th><th>permissions</th><th>op</th><th>scope arguments</th><th>conditions</th><th>passed by (scope)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></section>`
}

function diffSection(p: PageParts): string {
  return `<section id="diff"><h2>Diff against a candidate policy</h2>
<form id="diff-form" method="post" action="/explorer/diff#diff">${csrfField(p.csrf)}
<label>Candidate policy directory (a path on this server) <input type="text" name="path" value="${esc(p.diffPath ?? '')}" required></label>
<button type="submit">Diff</button></form>
<div id="diff-result">${p.diff === undefined ? '' : diffResult(p.policy, p.diff)}</div></section>`
}

function diffResult(active: CompiledPolicy, r: DiffResult): string {
  if ('error' in r) return `<p class="error" role="alert">${esc(r.error)}</p>`
  const s = r.diff.summary
  const cell = (c: DecisionChange, side: 'a' | 'b'): string => `<td class="${c[side] === 'allow' ? 'allow' : 'deny'}">${esc(c[side])}${c.absentIn === side ? ' (role absent)' : ''}</td>`
  const rows = r.diff.changes.map((c) => `<tr><td>${esc(c.role)}</td><td>${esc(c.field)}</td>${cell(c, 'a')}${cell(c, 'b')}</tr>`)
  return `<p id="diff-summary">${esc(`${s.changes} decision${s.changes === 1 ? '' : 's'} change (${s.newlyAllowed} newly allowed, ${s.newlyDenied} newly denied) over ${s.roles} roles x ${s.fields} fields`)}:
active ${esc(active.name)} (${esc(active.revision)}) against ${esc(r.candidate.name)} (${esc(r.candidate.revision)}); each role bound alone at its natural scope.</p>
<table class="diff"><thead><tr><th>role</th><th>field</th><th>active</th><th>candidate</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`
}
