import type { Mask } from './types.js'

export function wordsFor(bitCount: number): number {
  return Math.max(1, Math.ceil(bitCount / 32))
}

export function maskOf(words: number, bits: Iterable<number>): Mask {
  const m = new Uint32Array(words)
  for (const b of bits) m[b >>> 5] = ((m[b >>> 5] as number) | (1 << (b & 31))) >>> 0
  return m
}

/** a |= b */
export function orInto(a: Mask, b: Mask): void {
  for (let i = 0; i < a.length; i++) a[i] = ((a[i] as number) | (b[i] as number)) >>> 0
}

/** a &= b */
export function andInto(a: Mask, b: Mask): void {
  for (let i = 0; i < a.length; i++) a[i] = ((a[i] as number) & (b[i] as number)) >>> 0
}

/** a &= ~b */
export function andNotInto(a: Mask, b: Mask): void {
  for (let i = 0; i < a.length; i++) a[i] = ((a[i] as number) & ~(b[i] as number)) >>> 0
}

export function isEmpty(a: Mask): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false
  return true
}

export function bitsOf(a: Mask): number[] {
  const out: number[] = []
  for (let i = 0; i < a.length; i++) {
    let w = a[i] as number
    while (w !== 0) {
      const low = w & -w
      out.push(i * 32 + 31 - Math.clz32(low))
      w = (w ^ low) >>> 0
    }
  }
  return out
}
