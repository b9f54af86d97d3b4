import { EventEmitter } from "node:events";
import type { Database } from "../storage/db";
import { type ModelVersion, findModelVersion, latestVersionIds } from "../storage/repositories/modelVersions";

/**
 * The newest fitted model of every league, held in memory so predictions never touch the database for
 * parameters. Versions only move forward: an older version arriving late (a slow poll racing a pub/sub
 * message) is ignored. Emits "installed" with the new model and the one it replaced, if any.
 */
export class ModelRegistry extends EventEmitter<{ installed: [ModelVersion, ModelVersion | undefined] }> {
  private readonly models = new Map<string, ModelVersion>();
  private versionTag = "";

  get(league: string): ModelVersion | undefined {
    return this.models.get(league);
  }

  all(): ModelVersion[] {
    return [...this.models.values()].sort((a, b) => a.league.localeCompare(b.league));
  }

  get size(): number {
    return this.models.size;
  }

  /** Changes whenever any league's model changes; part of cache keys that depend on every model. */
  get tag(): string {
    return this.versionTag;
  }

  install(model: ModelVersion): boolean {
    const current = this.models.get(model.league);
    if (current !== undefined && current.version >= model.version) return false;
    this.models.set(model.league, model);
    this.versionTag = this.all()
      .map((m) => `${m.league}.${m.version}`)
      .join("-");
    this.emit("installed", model, current);
    return true;
  }

  /** Loads every league's newest stored version that is newer than the one in memory. */
  async refresh(db: Database): Promise<ModelVersion[]> {
    const latest = await latestVersionIds(db);
    const installed: ModelVersion[] = [];
    for (const [league, version] of latest) {
      if ((this.models.get(league)?.version ?? 0) >= version) continue;
      const model = await findModelVersion(db, version);
      if (model !== undefined && this.install(model)) installed.push(model);
    }
    return installed;
  }
}
