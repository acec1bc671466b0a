// The deployments table in memory (deployment -> workspace, release name <-> deployment), kept
// whole: reloaded on start and on reconnection, and row by row as notifications name them. Reads
// run one after another, so an older answer never overwrites a newer one.
import { Q_DEPLOYMENT_ROWS, Q_DEPLOYMENTS, SQL_DEPLOYMENT_ROWS, SQL_DEPLOYMENTS, type DeploymentRow, type Query } from './queries.js'

const noop = (): void => {}

export class DeploymentMap {
  /** deployment id -> its workspace id. */
  readonly workspaceOf = new Map<string, string>()
  /** deployment -> its release name, and the reverse (both follow the table like `workspaceOf`). */
  private readonly releaseOf = new Map<string, string>()
  private readonly byReleaseName = new Map<string, string>()
  private chain: Promise<void> = Promise.resolve()
  private readonly pending = new Set<string>()
  private scheduled = false

  constructor(
    private readonly query: Query,
    /** The map changed (after a reload or a row read). */
    private readonly changed: () => void,
  ) {}

  deploymentByReleaseName(name: string): string | undefined {
    return this.byReleaseName.get(name)
  }

  /** Reads the whole table; `changed` is called when it differs from what was held. */
  reload(): Promise<void> {
    return this.serial(async () => {
      const rows = await this.query<DeploymentRow>(Q_DEPLOYMENTS, SQL_DEPLOYMENTS)
      let changed = rows.length !== this.workspaceOf.size
      let named = 0
      for (const r of rows) {
        const name = r.release_name || undefined
        if (this.workspaceOf.get(r.id) !== r.workspace_id || this.releaseOf.get(r.id) !== name) changed = true
        if (name !== undefined) named++
      }
      if (!changed && named === this.releaseOf.size) return
      this.workspaceOf.clear()
      this.releaseOf.clear()
      this.byReleaseName.clear()
      for (const r of rows) this.set(r.id, r.workspace_id, r.release_name)
      this.changed()
    })
  }

  /**
   * A notification named deployment `id`: its row is read again, batched with the others named
   * before the read starts. A failed read goes to `failed` (the map may now miss a change).
   */
  rowChanged(id: string, failed: (e: unknown) => void): void {
    this.pending.add(id)
    if (this.scheduled) return
    this.scheduled = true
    this.serial(async () => {
      this.scheduled = false
      const ids = [...this.pending]
      this.pending.clear()
      const rows = await this.query<DeploymentRow>(Q_DEPLOYMENT_ROWS, SQL_DEPLOYMENT_ROWS, [ids])
      const found = new Map(rows.map((r) => [r.id, r]))
      let changed = false
      // names first given up, then taken: a rename moving a name between deployments of the batch is seen whole
      for (const d of ids) {
        const r = found.get(d)
        if (r?.workspace_id === this.workspaceOf.get(d) && (r?.release_name || undefined) === this.releaseOf.get(d)) continue
        changed = true
        this.set(d, undefined, null)
      }
      for (const d of ids) {
        const r = found.get(d)
        if (r !== undefined && !this.workspaceOf.has(d)) this.set(d, r.workspace_id, r.release_name)
      }
      if (changed) this.changed()
    }).catch(failed)
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const p = this.chain.then(work)
    this.chain = p.then(noop, noop)
    return p
  }

  /** One deployment row as read (workspace undefined: the row is gone). */
  private set(id: string, workspace: string | undefined, releaseName: string | null): void {
    const old = this.releaseOf.get(id)
    if (old !== undefined) {
      this.releaseOf.delete(id)
      if (this.byReleaseName.get(old) === id) this.byReleaseName.delete(old)
    }
    if (workspace === undefined) {
      this.workspaceOf.delete(id)
      return
    }
    this.workspaceOf.set(id, workspace)
    if (releaseName === null || releaseName === '') return
    // The name is unique in the table; another deployment holding it here has lost it since
    // (its own notification is on the way): the row just read wins.
    const holder = this.byReleaseName.get(releaseName)
    if (holder !== undefined && holder !== id) this.releaseOf.delete(holder)
    this.byReleaseName.set(releaseName, id)
    this.releaseOf.set(id, releaseName)
  }
}
