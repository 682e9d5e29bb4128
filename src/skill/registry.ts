// `$CONTREE_HOME/cli/skills.db`: the installs `contree skill` remembers, in the reference CLI's
// schema (CLI spec §2.2, §8.11), so `list` and `upgrade` of either CLI find the other's installs.

import { DatabaseSync } from "node:sqlite";
import { ContreeError } from "../errors.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS installed_skills (
  path TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
`;

export interface RememberedInstall {
  path: string;
  kind: string;
  updatedAt: string;
}

export interface SkillRegistry {
  /** Every remembered install, by path. */
  list(): RememberedInstall[];
  remember(path: string, kind: string): void;
  forget(path: string): void;
  close(): void;
}

/** Opens (creating, mode 0600 in a 0700 directory) the registry at `path`. */
export async function openSkillRegistry(path: string): Promise<SkillRegistry> {
  let db: DatabaseSync;
  try {
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    // Created private before SQLite opens it (SQLite would create it with the umask's mode).
    const file = await Deno.open(path, { write: true, create: true, mode: 0o600 });
    file.close();
    db = new DatabaseSync(path, { timeout: 5000 });
    db.exec("PRAGMA busy_timeout = 5000");
    db.prepare("PRAGMA journal_mode = WAL").get();
    db.exec(SCHEMA);
  } catch (error) {
    throw new ContreeError(`Cannot open the skill registry ${path}: ${(error as Error).message}`);
  }
  return {
    list: () =>
      (db.prepare("SELECT path, kind, updated_at FROM installed_skills ORDER BY path").all() as {
        path: string;
        kind: string;
        updated_at: string;
      }[]).map((row) => ({ path: row.path, kind: row.kind, updatedAt: row.updated_at })),
    remember: (installPath, kind) =>
      void db.prepare(
        "INSERT OR REPLACE INTO installed_skills (path, kind, updated_at) " +
          "VALUES (?, ?, CURRENT_TIMESTAMP)",
      ).run(installPath, kind),
    forget: (installPath) =>
      void db.prepare("DELETE FROM installed_skills WHERE path = ?").run(installPath),
    close: () => {
      if (db.isOpen) db.close();
    },
  };
}
