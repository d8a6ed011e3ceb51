import type Database from 'better-sqlite3';
import type {RowValues, TableCodec} from '../rows/table-codec.js';
import type {LiveWalk} from './live-walk.js';

/** Tenant ids whose scope answer is kept, at most (a gateway has a handful; this bounds a foreign one). */
const SCOPE_ANSWERS = 10_000;

/**
 * Whether a live table's rows can be deleted by the walk: a rowid table (the walk deletes by
 * rowid), and no row of it written or removed by anything but the restore's own write of that
 * row: no trigger anywhere in the database (one on another table can write here), no foreign key
 * of its own while they are enforced (a parent's delete could cascade here). The rest of what
 * that takes is writesInPlace (table-codec.ts).
 */
export function deletableByWalk(db: Database.Database, table: string): boolean {
	const listed = db.pragma(`table_list(${table})`) as Array<{schema: string; wr: number}>;
	if (!listed.some(entry => entry.schema === 'main' && entry.wr === 0)) return false;
	const triggers = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'trigger' UNION ALL SELECT 1 FROM sqlite_temp_master WHERE type = 'trigger' LIMIT 1`).get();
	if (triggers) return false;
	return db.pragma('foreign_keys', {simple: true}) === 0 || (db.pragma(`foreign_key_list(${table})`) as unknown[]).length === 0;
}

/**
 * How a replace deletes the live rows in scope whose ids the archive lacks, for a table whose ids
 * the restore did not remember (reference-check.ts, skipOrderedIds: nothing references the table
 * and its ids came in increasing order). Those rows are the ones the live walk passed without
 * their id being asked (deleted as it passes them, each while no later archive row can have its
 * id), and the ones past the last id it was asked for (deleted at the end, when every row the
 * restore wrote has an id up to that one). The same rows as deleting `id IS NULL OR id NOT IN
 * (the archive's ids)` in scope (restore-pass.ts, notInBackupSql), which remembering the ids costs.
 */
export class DeleteByWalk {
	private deleted = 0;
	/** Whether SQLite put a tenant id in scope (its collation decides, not JavaScript's equality). */
	private readonly inScope = new Map<string, boolean>();
	private readonly deleteRow: Database.Statement;
	private readonly scopeOfRow: Database.Statement;
	private readonly tenantIndex: number;

	/** `scopeSql` is the restore's scope condition on `table`, `scope` its parameters. */
	constructor(
		private readonly db: Database.Database,
		private readonly codec: TableCodec,
		private readonly scopeSql: string,
		private readonly scope: readonly string[],
	) {
		const table = codec.spec.name;
		this.tenantIndex = table === 'tenants' ? 0 : codec.names.indexOf('tenant_id');
		this.deleteRow = db.prepare(`DELETE FROM ${table} WHERE _rowid_ = ?`);
		this.scopeOfRow = db.prepare(`SELECT (${scopeSql}) IS 1 FROM ${table} WHERE _rowid_ = ?`).pluck(true);
	}

	/** A live row the walk passed (no archive row has its id): deleted when in scope. */
	passed(row: RowValues, rowid: unknown): void {
		const tenant = row[this.tenantIndex];
		const key = typeof tenant === 'string' ? tenant : undefined;
		let inScope = key === undefined ? undefined : this.inScope.get(key);
		if (inScope === undefined) {
			// Asked of the row itself, so the column's affinity and collation decide, as in the restore's other scope queries.
			const answer = this.scopeOfRow.get(...this.scope, rowid) as number | undefined;
			// Gone already: nothing to delete (the restore's writes change no other row of such a table, walkCanDelete).
			if (answer === undefined) return;
			inScope = answer === 1;
			if (key !== undefined && this.inScope.size < SCOPE_ANSWERS) this.inScope.set(key, inScope);
		}
		if (inScope) this.deleted += this.deleteRow.run(rowid).changes;
	}

	/**
	 * Once the archive is read: deletes the live rows in scope past the last id `walk` was asked for
	 * (every one in scope when it was asked none) and gives how many rows were deleted in all.
	 * `liveHadRows`: the table had rows before the restore; `rowsRead`: the archive's rows of it.
	 */
	finish(walk: LiveWalk | undefined, liveHadRows: boolean, rowsRead: number): number {
		// A table empty before the restore holds only the archive's rows.
		if (!liveHadRows) return this.deleted;
		const table = this.codec.spec.name;
		const upTo = walk?.askedUpTo;
		if (upTo === undefined) {
			// Each archive row of a table with live rows is asked of the walk: none was read.
			if (rowsRead > 0) throw new Error(`${table}: archive rows restored without the live walk`);
			return this.deleted + this.db.prepare(`DELETE FROM ${table} WHERE ${this.scopeSql}`).run(...this.scope).changes;
		}
		// NULL ids come first in id order: the walk passed them.
		return this.deleted + this.db.prepare(`DELETE FROM ${table} WHERE ${this.scopeSql} AND id > ?`).run(...this.scope, upTo).changes;
	}
}
