/** What a decision may read about the request besides the principal and the operation. */
export interface RequestContext {
  /** The client's address (X-Forwarded-For believed only from trusted proxies); undefined when unknown. */
  readonly clientIp: string | undefined
}

/** No request facts: IP allow-lists deny (deny on doubt), everything else decides as usual. */
export const NO_CONTEXT: RequestContext = Object.freeze({ clientIp: undefined })
