import type { Database } from './driver.js';
import type { SeenOnce } from './store.js';

/** SeenOnce in the service's database: an INSERT that only the first offer of a key can make. */
export class SqliteSeenOnce implements SeenOnce {
  private readonly purge;
  private readonly insert;

  constructor(db: Database) {
    this.purge = db.prepare('DELETE FROM seen_once WHERE at < ?');
    this.insert = db.prepare('INSERT OR IGNORE INTO seen_once (key, at) VALUES (?, ?)');
  }

  firstTime(key: string, atSeconds: number, forgetBeforeSeconds: number): boolean {
    this.purge.run(forgetBeforeSeconds);
    return this.insert.run(key, atSeconds).changes === 1;
  }
}
