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

/** `{ [key]: value }` when value is defined, else `{}`: for optional properties under exactOptionalPropertyTypes. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}

export function argBoolean(args: Record<string, unknown>, name: string): boolean | undefined {
  const v = args[name]
  return typeof v === 'boolean' ? v : undefined
}

export function argNumber(args: Record<string, unknown>, name: string): number | undefined {
  const v = args[name]
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}
