import type Database from 'better-sqlite3';
import type {ArchiveEntry, ArchiveSource} from '../archive/archive-reader.js';
import {openArchive} from '../archive/archive-reader.js';
import type {BackupMetadata} from '../archive/archive-format.js';
import {LineSplitter} from '../archive/line-splitter.js';
import {LifeboatError} from '../errors.js';
import {listedIds} from '../rows/reference-check.js';
import {codecFor, parseRow, rowTenant, type RowValues, type TableCodec} from '../rows/table-codec.js';
import {categorySpec, TABLES, tableSpec, type CategoryId} from '../store/schema.js';
import {routeEntry} from './archive-routes.js';
import type {IdMapper} from './id-map.js';
import type {DanglingReference} from './restore-types.js';

/** Longest JSONL line read for ids (a row is far smaller; the restore pass has the same ceiling). */
const MAX_LINE = 64 * 1024 * 1024;

/**
 * Ids (as in the archive) of some tables of a backup, read before the restore pass: tables of
 * categories the restore leaves out (to tell a reference the restore would break from one that
 * already dangles in the backup) and the users (to tell an audit actor that names a user of the
 * backup). Kept in a temporary table of the connection, so memory stays bounded whatever the size.
 */
export class BackupIds {
	private readonly insert: Database.Statement;
	private readonly lookup: Database.Statement;
	private readonly loaded = new Set<string>();

	constructor(private readonly db: Database.Database) {
		db.exec(`CREATE TEMP TABLE IF NOT EXISTS lifeboat_backup_ids (tbl TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tbl, id)) WITHOUT ROWID; DELETE FROM temp.lifeboat_backup_ids;`);
		this.insert = db.prepare(`INSERT OR IGNORE INTO temp.lifeboat_backup_ids (tbl, id) VALUES (?, ?)`);
		this.lookup = db.prepare(`SELECT 1 FROM temp.lifeboat_backup_ids WHERE tbl = ? AND id = ?`).pluck(true);
	}

	/** Whether `tables` were read (a table the backup does not hold counts as read: it has no ids). */
	covers(table: string): boolean {
		return this.loaded.has(table);
	}

	has(table: string, id: string): boolean {
		return this.lookup.get(table, id) !== undefined;
	}

	/**
	 * Reads the ids of `tables` (rows of `tenants` only). A Lifeboat archive lists its tables first,
	 * so a tar.gz is read only up to its first file past them. A line that does not parse holds no
	 * id here (the restore pass, or verify, reports damage in what it restores).
	 */
	async load(source: ArchiveSource, tables: ReadonlySet<string>, tenants: ReadonlySet<string>, signal?: AbortSignal): Promise<void> {
		for (const table of tables) this.loaded.add(table);
		if (tables.size === 0) return;
		const seen = new Set<string>();
		const entries = openArchive(source).entries();
		try {
			for await (const entry of entries) {
				if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new LifeboatError('interrupted', 'Restore interrupted; nothing was changed');
				const route = routeEntry(entry.path);
				if (route.kind !== 'table') {
					if (seen.size === tables.size && route.kind !== 'metadata') break;
					continue;
				}
				if (!tables.has(route.table.name)) continue;
				seen.add(route.table.name);
				if (!(await this.readTable(entry, codecFor(route.table), tenants))) break;
			}
		} finally {
			await entries.return(undefined);
		}
	}

	/** False when the entry could not be read to its end (an overlong line): reading stops there. */
	private async readTable(entry: ArchiveEntry, codec: TableCodec, tenants: ReadonlySet<string>): Promise<boolean> {
		const table = codec.spec.name;
		const splitter = new LineSplitter({what: entry.path, maxLineBytes: MAX_LINE});
		const onLine = (line: string) => {
			if (line.trim().length === 0) return;
			let values: RowValues;
			try {
				values = parseRow(codec, line, entry.path);
			} catch {
				return;
			}
			if (typeof values[0] === 'string' && tenants.has(rowTenant(codec, values))) this.insert.run(table, values[0]);
		};
		try {
			for await (const chunk of entry.open()) splitter.push(chunk as Buffer, onLine);
			splitter.end(onLine);
			return true;
		} catch (error) {
			if (error instanceof LifeboatError && error.code === 'corrupt-archive') return false;
			throw error;
		}
	}

	close(): void {
		this.db.exec(`DROP TABLE IF EXISTS temp.lifeboat_backup_ids`);
	}
}

/**
 * Tables the restored rows point at (by `ref` or `refList`) that the restore does not write but
 * the backup holds: a reference into one of them can dangle by the restore's doing. Each with the
 * category that would restore it.
 */
export function danglingTargets(restoredTables: ReadonlySet<string>, metadata: BackupMetadata): Map<string, CategoryId> {
	const targets = new Map<string, CategoryId>();
	for (const table of TABLES) {
		if (!restoredTables.has(table.name)) continue;
		for (const column of table.columns) {
			const target = column.ref ?? column.refList;
			if (!target || restoredTables.has(target)) continue;
			const category = tableSpec(target).category;
			if (metadata.categories.includes(category) && categorySpec(category).tables.includes(target)) targets.set(target, category);
		}
	}
	return targets;
}

/**
 * Counts, per `table.column`, the references of restored rows that the restore would leave
 * dangling: the target row is in the backup, in a category not restored, and not in the target
 * store under the id the reference gets (after --into-tenant remapping). A reference that already
 * dangles in the backup is the gateway's own data, not counted. The targets are tables the
 * restore never writes, so planning and applying count the same.
 */
export class DanglingCount {
	private readonly counts = new Map<string, DanglingReference>();
	private readonly live = new Map<string, Database.Statement>();

	constructor(
		private readonly db: Database.Database,
		private readonly ids: BackupIds,
		private readonly targets: ReadonlyMap<string, CategoryId>,
		private readonly mapper: IdMapper,
	) {}

	/** One restored row, its references still as in the archive (before remapping). */
	row(codec: TableCodec, values: readonly unknown[]): void {
		if (this.targets.size === 0) return;
		for (const {index, table} of codec.refs) {
			const value = values[index];
			if (typeof value === 'string' && value !== '') this.reference(codec, index, table, value);
		}
		for (const {index, table} of codec.refLists) {
			if (!this.targets.has(table)) continue;
			for (const value of listedIds((values[index] ?? null) as string | null)) this.reference(codec, index, table, value);
		}
	}

	private reference(codec: TableCodec, index: number, target: string, id: string): void {
		const category = this.targets.get(target);
		if (category === undefined || !this.ids.has(target, id) || this.isLive(target, this.mapper.id(id))) return;
		const column = codec.names[index]!;
		const key = `${codec.spec.name}.${column}`;
		const found = this.counts.get(key);
		if (found) found.count++;
		else this.counts.set(key, {table: codec.spec.name, column, target, category, count: 1});
	}

	private isLive(table: string, id: string): boolean {
		let statement = this.live.get(table);
		if (!statement) {
			statement = this.db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).pluck(true);
			this.live.set(table, statement);
		}
		return statement.get(id) !== undefined;
	}

	/** In schema order (table, then column). */
	result(): DanglingReference[] {
		const order = TABLES.flatMap(table => table.columns.map(column => `${table.name}.${column.name}`));
		return [...this.counts.entries()].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)).map(([, reference]) => reference);
	}
}
