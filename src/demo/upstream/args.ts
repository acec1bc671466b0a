/** A string argument, or undefined when absent or (custom scalars accept anything) not a string. */
export function argString(args: Record<string, unknown>, name: string): string | undefined {
  const v = args[name]
  return typeof v === 'string' ? v : undefined
}

export function argRecord(args: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const v = args[name]
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

/** Case-insensitive substring match; an absent needle matches everything. */
export function contains(hay: string, needle: string | undefined): boolean {
  return needle === undefined || hay.toLowerCase().includes(needle.toLowerCase())
}
