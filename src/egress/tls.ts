import type { UpstreamTls } from '../config/schema.js'

/** Options for tls.connect, as undici's `connect` and `ws` take them. */
export interface TlsClientOptions {
  rejectUnauthorized: boolean
  ca?: string
  servername?: string
}

export function tlsClientOptions(tls: UpstreamTls): TlsClientOptions {
  // reply-from sets rejectUnauthorized: false unless told otherwise; it is always said here
  const o: TlsClientOptions = { rejectUnauthorized: !tls.insecureSkipVerify }
  if (tls.ca !== undefined) o.ca = tls.ca
  if (tls.serverName !== undefined) o.servername = tls.serverName
  return o
}


/** OpenSSL's verification results as Node reports them in `err.code` (X509_V_ERR_* without the prefix). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_CHAIN_TOO_LONG', 'CERT_REVOKED',
  'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
])

/**
 * The TLS reason of a failed upstream request (a refused certificate, Node's hostname check
 * `ERR_TLS_CERT_ALTNAME_INVALID`, or an `ERR_SSL_*` handshake failure), looked for along the
 * error's causes (reply-from wraps undici's error); undefined for any other failure.
 */
export function tlsFailure(error: unknown): string | undefined {
  let e = error
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (CERTIFICATE_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'))) return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}
