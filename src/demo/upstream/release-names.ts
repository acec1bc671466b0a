// Houston names a deployment's Helm release <adjective>-<celestial noun>-<4 digits>
// (stellar-galaxy-1234); the seed uses the same scheme, so new deployments look like the old.

const ADJECTIVES = ['stellar', 'nebular', 'lunar', 'solar', 'cosmic', 'orbital', 'galactic', 'sidereal'] as const
const NOUNS = ['galaxy', 'comet', 'orbit', 'quasar', 'pulsar', 'nova', 'meteor', 'eclipse'] as const

/** The release name of the deployment numbered `n` (d4 -> 4): deterministic, one per number. */
export function releaseNameFor(n: number): string {
  const adjective = ADJECTIVES[n % ADJECTIVES.length] ?? ADJECTIVES[0]
  const noun = NOUNS[Math.floor(n / ADJECTIVES.length) % NOUNS.length] ?? NOUNS[0]
  return `${adjective}-${noun}-${String(1000 + ((n * 7919) % 9000)).padStart(4, '0')}`
}

/** Houston's rule: 1 to 63 letters, digits and '-', no '-' at either end, not all digits. */
export function isValidReleaseName(name: string): boolean {
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(name) && !/^\d+$/.test(name)
}
