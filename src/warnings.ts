/**
 * The one registry of permgate's warnings: problems that do not stop anything, but that an
 * operator should hear of. A warning printed by `permgate check` starts with its code; one
 * written to the log carries it as the `warning` field, so a log query matches on the code,
 * never on the message. docs/errors.md is generated from the descriptions.
 */
export const WARNINGS = {
  // --- policy (permgate check) -----------------------------------------------------------
  PERMGATE_WARN_PERMISSION_UNGRANTED: { code: 'PERMGATE_WARN_PERMISSION_UNGRANTED', reportedBy: 'check',
    description: 'A rule requires a permission no role grants, so no caller can hold it: grant it to a role, or fix the rule.' },
  PERMGATE_WARN_RULE_WITHOUT_SCOPE: { code: 'PERMGATE_WARN_RULE_WITHOUT_SCOPE', reportedBy: 'check',
    description: 'A rule requires a workspace or deployment permission but names no scope argument, so that permission can never pass: add `scope:` to the rule.' },
  PERMGATE_WARN_SCOPE_ARGUMENT: { code: 'PERMGATE_WARN_SCOPE_ARGUMENT', reportedBy: 'check',
    description: 'permgate check --schema: a rule scopes on an argument its field does not take in the schema: fix the rule\'s scope, or the schema.' },
  // --- serving (the log, stderr) -------------------------------------------------------
  PERMGATE_WARN_TLS_VERIFY_OFF: { code: 'PERMGATE_WARN_TLS_VERIFY_OFF', reportedBy: 'log',
    description: 'upstreamInsecureSkipVerify is set: the upstream\'s certificate is not verified and anyone on the path can pose as the upstream; trust a private CA with upstreamCaFile instead.' },
  PERMGATE_WARN_UPSTREAM_TLS: { code: 'PERMGATE_WARN_UPSTREAM_TLS', reportedBy: 'log',
    description: 'The upstream\'s TLS certificate was refused or its handshake failed (HTTP or WebSocket; the client got PERMGATE_ERR_UPSTREAM_TLS): the `tlsError` field says why.' },
  PERMGATE_WARN_UPSTREAM_FAILURE: { code: 'PERMGATE_WARN_UPSTREAM_FAILURE', reportedBy: 'log',
    description: 'A request or WebSocket to the upstream failed (unreachable, reset, timed out; the client got a 502/504 or a 1011 close): the `upstreamError` field says why.' },
  PERMGATE_WARN_UPSTREAM_PROTOCOL: { code: 'PERMGATE_WARN_UPSTREAM_PROTOCOL', reportedBy: 'log',
    description: 'The upstream answered a WebSocket connection_init with something else than connection_ack: the client is closed 1011; check the upstream speaks the subprotocol asked for.' },
  PERMGATE_WARN_SHADOW_DISAGREES: { code: 'PERMGATE_WARN_SHADOW_DISAGREES', reportedBy: 'log',
    description: 'The shadow policy decided otherwise than the active one (`active` and `shadow` give both reasons); the active decision was enforced.' },
  PERMGATE_WARN_RELOAD_FAILED: { code: 'PERMGATE_WARN_RELOAD_FAILED', reportedBy: 'stderr',
    description: 'A changed policy, overlay or bindings file did not load (its error code and message follow): the previous policy keeps serving; fix the file.' },
} as const satisfies Record<string, WarningSpec>

/** One entry of {@link WARNINGS}. */
export interface WarningSpec {
  readonly code: string
  /** Where an operator sees it: `permgate check`'s output, the server's JSON log, or its stderr. */
  readonly reportedBy: 'check' | 'log' | 'stderr'
  /** What it means and what to do, in one line. */
  readonly description: string
}

export type WarningCode = keyof typeof WARNINGS
