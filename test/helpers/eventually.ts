/**
 * Waits for what real I/O settles (a notification over a socket, a line a logger writes, a server
 * going away): asks `cond` again, `pauseMs` apart, at most `tries` times, and fails naming `what`.
 * Never for a timer a test could advance (use a FakeClock), and nothing here is a duration
 * assertion: the bound only keeps a broken test from hanging.
 */
export async function eventually(what: string, cond: () => boolean | Promise<boolean>, opts: { tries?: number; pauseMs?: number } = {}): Promise<void> {
  const tries = opts.tries ?? 250
  for (let i = 0; i < tries; i++) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, opts.pauseMs ?? 20))
  }
  throw new Error(`not reached after ${tries} tries: ${what}`)
}
