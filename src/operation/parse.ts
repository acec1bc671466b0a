import {
  GraphQLError,
  Lexer,
  Source,
  TokenKind,
  isExecutableDefinitionNode,
  parse,
  type DocumentNode,
} from 'graphql'
import { PermgateError } from '../errors.js'
import type { ParseLimits } from './types.js'

/**
 * Parses a client's document, bounded by `limits.maxTokens`, and accepts only executable
 * definitions (operations and fragments): a request carrying type-system definitions is
 * invalid (GraphQL spec, "Executable Definitions").
 */
export function parseDocument(query: string, limits: ParseLimits): DocumentNode {
  if (typeof query !== 'string' || query.length === 0) {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', '"query" must be a non-empty string')
  }
  let doc: DocumentNode
  try {
    doc = parse(query, { noLocation: true, maxLexicalTokens: limits.maxTokens })
  } catch (e) {
    throw parseFailure(query, e, limits.maxTokens)
  }
  for (const def of doc.definitions) {
    if (!isExecutableDefinitionNode(def)) {
      throw new PermgateError(
        'PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE',
        `the document contains a ${def.kind}; only operations and fragments may be sent`,
      )
    }
  }
  return doc
}

function parseFailure(query: string, e: unknown, maxTokens: number): unknown {
  if (e instanceof GraphQLError) {
    if (hitTokenLimit(query, e, maxTokens)) {
      return new PermgateError(
        'PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS',
        `the document has more than ${maxTokens} tokens`,
      )
    }
    return new PermgateError('PERMGATE_ERR_GRAPHQL_SYNTAX', `invalid GraphQL document: ${e.message}`)
  }
  // graphql-js parses recursively: about 2,500 nested `{` or `[` exhaust the stack well
  // within the token limit, which must surface as a client error, not a crash.
  if (e instanceof RangeError) {
    return new PermgateError('PERMGATE_ERR_GRAPHQL_TOO_DEEP', 'the document is nested too deeply to parse')
  }
  return e
}

/**
 * Whether graphql-js stopped because of `maxLexicalTokens` rather than a syntax error.
 * The parser raises that error at the start of token `maxTokens + 1`; re-lexing up to that
 * token tells the two apart without depending on graphql-js's message wording.
 */
function hitTokenLimit(query: string, error: GraphQLError, maxTokens: number): boolean {
  const at = error.positions?.[0]
  if (at === undefined) return false
  const lexer = new Lexer(new Source(query))
  try {
    for (let n = 0; n <= maxTokens; n++) {
      const token = lexer.advance()
      if (token.kind === TokenKind.EOF || token.start > at) return false
    }
  } catch {
    return false
  }
  return lexer.token.start === at
}
