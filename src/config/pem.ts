import { X509Certificate } from 'node:crypto'

/**
 * The certificates of a PEM bundle, normalised (one block after another), or undefined when the
 * text holds none, holds anything else (a private key has no place in a CA file), or a block does
 * not parse as X.509.
 */
export function pemCertificates(text: string): string | undefined {
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1])
  if (labels.length === 0 || labels.some((l) => l !== 'CERTIFICATE')) return undefined
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length !== labels.length) return undefined
  try {
    for (const b of blocks) new X509Certificate(b)
  } catch {
    return undefined
  }
  return blocks.join('\n') + '\n'
}
