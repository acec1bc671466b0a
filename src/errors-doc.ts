// docs/errors.md, written from the registries (src/errors.ts, src/warnings.ts) so the reference
// page cannot drift from what permgate answers; test/unit/errors-doc.test.ts holds the file to it.
import { GRAPHQL_CODES } from './egress/graphql-errors.js'
import { ERRORS, type ErrorSpec } from './errors.js'
import { WARNINGS, type WarningSpec } from './warnings.js'

/** How to write docs/errors.md again after a registry changes. */
export const REGENERATE = 'PERMGATE_WRITE_DOCS=1 npx vitest run test/unit/errors-doc.test.ts'

const NONE = '—'

/** A table cell: a `|` would end the cell. */
function cell(v: string | number | undefined): string {
  return v === undefined ? NONE : String(v).replace(/\|/g, '\\|')
}

function row(cells: readonly (string | number | undefined)[]): string {
  return `| ${cells.map(cell).join(' | ')} |`
}

const REPORTED_BY: Readonly<Record<WarningSpec['reportedBy'], string>> = {
  check: '`permgate check`',
  log: 'the log',
  stderr: 'stderr',
}

/** The text of docs/errors.md. */
export function errorsReference(): string {
  const errors = (Object.values(ERRORS) as ErrorSpec[]).map((e) => row([`\`${e.code}\``, e.status, e.graphqlCode, e.closeCode, e.description]))
  const warnings = (Object.values(WARNINGS) as WarningSpec[]).map((w) => row([`\`${w.code}\``, REPORTED_BY[w.reportedBy], w.description]))
  return [
    '# Error and warning codes',
    '',
    `<!-- Generated from src/errors.ts and src/warnings.ts by src/errors-doc.ts: do not edit. Regenerate: ${REGENERATE} -->`,
    '',
    'Every error permgate reports has a `PERMGATE_ERR_*` code and every warning a `PERMGATE_WARN_*` code:',
    'match on the code, never on the message.',
    '',
    '## Errors',
    '',
    'A client reads the code as `extensions.reason` of a GraphQL error entry, beside `extensions.code`;',
    'both are the same over HTTP, in a WebSocket `error` or `connection_error` message, and in a',
    'refused WebSocket upgrade.',
    '',
    '- **HTTP**: the status of the answer (with `errorsAs200`, 200 and the same body). None: the error',
    '  stops loading (`permgate serve`, `check` or another command) and never reaches a client.',
    '- **GraphQL code**: `extensions.code`.',
    '- **WebSocket close**: the close code when the error ends a GraphQL WebSocket (a legacy `graphql-ws`',
    '  client gets a `connection_error` message first). None: it never ends one; over WebSocket it is an',
    '  `error` message for the operation id, or a refused upgrade.',
    '',
    'A policy denial is not a coded error: its `extensions.reason` is the deny reason (`missing_permission`,',
    `\`unauthenticated\`, ...), answered 401 ${GRAPHQL_CODES[401]} when a credential would help, else 403 ${GRAPHQL_CODES[403]}.`,
    '',
    row(['code', 'HTTP', 'GraphQL code', 'WebSocket close', 'meaning']),
    '|---|---|---|---|---|',
    ...errors,
    '',
    '## Warnings',
    '',
    'A warning stops nothing. `permgate check`, and permgate on stderr, print it as `warning CODE: message`;',
    'in the JSON log it is the `warning` field of the line.',
    '',
    row(['code', 'reported by', 'meaning']),
    '|---|---|---|',
    ...warnings,
    '',
  ].join('\n')
}
