import { execute, getOperationAST, GraphQLError, parse, validate, type DocumentNode, type ExecutionResult } from 'graphql'
import type { DemoApi } from './api.js'
import type { DemoContext } from './types.js'

export interface Outcome {
  status: number
  result: ExecutionResult
}

interface Params {
  query: string
  variables: Record<string, unknown> | undefined
  operationName: string | undefined
}

const fail = (status: number, message: string): Outcome => ({ status, result: { errors: [new GraphQLError(message)] } })

function toParams(raw: unknown): Params | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'A request must be a JSON object'
  const { query, variables, operationName } = raw as Record<string, unknown>
  if (typeof query !== 'string' || query === '') return 'The "query" parameter must be a non-empty string'
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    return 'The "variables" parameter must be an object'
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    return 'The "operationName" parameter must be a string'
  }
  return {
    query,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: operationName ?? undefined,
  }
}

/**
 * One GraphQL request, statuses as in GraphQL over HTTP: 400 when the request cannot be
 * executed (parse, validation, variable coercion), 200 once execution has started.
 */
export async function runGraphQL(raw: unknown, method: string, ctx: DemoContext, api: DemoApi): Promise<Outcome> {
  const params = toParams(raw)
  if (typeof params === 'string') return fail(400, params)
  const schema = api.schema()
  let document: DocumentNode
  try {
    document = parse(params.query)
  } catch (err) {
    if (err instanceof GraphQLError) return { status: 400, result: { errors: [err] } }
    throw err
  }
  const errors = validate(schema, document)
  if (errors.length > 0) return { status: 400, result: { errors } }
  const operation = getOperationAST(document, params.operationName)
  if (operation == null) return fail(400, 'Could not determine which operation to run; give a valid operationName')
  if (operation.operation === 'subscription') return fail(400, 'Subscriptions are not served over HTTP')
  // GraphQL over HTTP: a GET request must not run a mutation.
  if (method === 'GET' && operation.operation === 'mutation') return fail(405, 'Mutations need a POST request')
  const result = await execute({
    schema,
    document,
    contextValue: ctx,
    variableValues: params.variables,
    operationName: params.operationName,
    fieldResolver: api.fieldResolver,
  })
  return { status: 'data' in result ? 200 : 400, result }
}
