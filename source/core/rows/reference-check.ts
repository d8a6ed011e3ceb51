import type Database from 'better-sqlite3';
import {LifeboatError} from '../errors.js';
import {TABLES} from '../store/schema.js';
import {showId, type StoredValue} from './value-codec.js';
import type {TableCodec} from './table-codec.js';
import {compareBinaryText} from './binary-order.js';

/** Rows remembered per INSERT when they are written in batches. */
const BATCH_ROWS = 256;

/** The ids of a `refList` value (a JSON array); anything else holds no reference. */
export function listedIds(value: StoredValue): string[] {
	if (typeof value !== 'string') return [];
	let parsed: unknown;
	try {
		// SQLite's JSON functions (what a gateway would query lists with) stop at a NUL: so do we.
		const nul = value.indexOf('\u0000');
		parsed = JSON.parse(nul === -1 ? value : value.slice(0, nul));
	} catch {
		return [];
	}
	return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string' && item !== '') : [];
}

/** Tables some column points at (`ref`, `refList`): their ids are looked up, so always remembered. */
const REFERENCED = new Set(TABLES.flatMap(table => table.columns.flatMap(column => [column.ref, column.refList].filter((name): name is string => name !== undefined))));

/**
 * Tables whose ids `skipOrderedIds` may skip: nothing references them, and a backup dumps them in
 * id order (a table dumped in another order, as the daily logs are by day, would only be read twice).
 */
const SKIPPABLE = new Set(TABLES.filter(table => !REFERENCED.has(table.name) && table.orderBy === undefined).map(table => table.name));

/**
 * Thrown by a check made with `skipOrderedIds` when a table nothing references breaks the order
 * its ids came in: the ids it skipped are needed after all. Not an operator error: the caller
 * reads the archive again with a check that remembers every id (a Lifeboat backup dumps every
 * table in this order, so only a foreign or hand-made archive gets here).
 */
export class IdsOutOfOrder extends Error {
	constructor(readonly table: string) {
		super(`${table}: ids out of order; read again remembering every id`);
	}
}

/** Runs `read` skipping ordered ids, and once more remembering every id if it met a table out of order. */
export async function skippingOrderedIds<T>(read: (skipOrderedIds: boolean) => Promise<T>): Promise<T> {
	try {
		return await read(true);
	} catch (error) {
		if (!(error instanceof IdsOutOfOrder)) throw error;
		return read(false);
	}
}

/**
 * Tenant isolation of references: a row may point at a row of its own tenant, or at nothing (a
 * gateway can hold dangling or empty references, and they are carried as they are), but never at
 * another tenant's row, whether that row is in the backup or live. Backup refuses such data and
 * restore and verify refuse such archives, with the same rule.
 *
 * Memory stays bounded whatever the backup's size: the ids of referenced tables read so far and
 * the references that could not be checked yet go to temporary tables of the SQLite connection
 * (on disk, dropped with it); a small cache spares repeated look-ups (messages of one conversation).
 */
export class ReferenceCheck {
	private readonly cache = new Map<string, string | null>();
	private readonly tablesRead = new Set<string>();
	private readonly insertId: Database.Statement;
	private readonly insertPending: Database.Statement;
	private readonly backupTenant: Database.Statement;
	private readonly liveTenant = new Map<string, Database.Statement>();
	private readonly insertBatch: Database.Statement;
	/**
	 * Per table, the last id while every id so far came in strictly increasing order (an archive
	 * dumps its tables in id order; UTF-16 order here, which is SQLite's but for surrogates: ids out
	 * of it are merely inserted one by one): such a row cannot repeat an earlier one, so it is remembered
	 * in a batch rather than at once. Null once the order broke: every row is inserted (and
	 * checked for a repeat) as it comes from then on.
	 */
	private readonly increasing = new Map<string, string | null>();
	/** Rows waiting for their batch insert, as (tbl, id, tenant) triples (looked up like the inserted ones). */
	private pending: string[] = [];
	/**
	 * Batches only in a UTF-8 database: there SQLite keeps the bytes the driver binds (a lone
	 * surrogate as its own three bytes), so two different strings are two ids. A UTF-16 database
	 * turns every lone surrogate, U+FFFE and U+FFFF into U+FFFD: different strings, in order, can
	 * be one id there, which only an insert at once finds (and names as a repeat).
	 */
	private readonly batching: boolean;
	/**
	 * With `skipOrderedIds` (UTF-8 databases only, as batching): the last id of each table nothing
	 * references, while its ids come in strictly increasing order (SQLite's BINARY order, the
	 * order a backup dumps them in). Such an id only serves to catch a repeat, and cannot repeat
	 * an earlier one: it is not written at all (a 1,000,000-row table's ids took ~1.1 s to write).
	 * The first id out of that order throws IdsOutOfOrder.
	 */
	private readonly skippedLast: Map<string, string> | undefined;

	/**
	 * `live` is false when there is no live store to look in (verify). `restored` lists the tables
	 * whose rows the archive may hold; references into other tables are looked up live only.
	 * `remembered`: tables whose ids are remembered even with `skipOrderedIds`.
	 */
	constructor(
		private readonly db: Database.Database,
		private readonly options: {live: boolean; restored: ReadonlySet<string>; suffix?: string; skipOrderedIds?: boolean; remembered?: ReadonlySet<string>},
	) {
		db.exec(`CREATE TEMP TABLE IF NOT EXISTS lifeboat_ref_ids (tbl TEXT NOT NULL, id TEXT NOT NULL, tenant TEXT NOT NULL, PRIMARY KEY (tbl, id)) WITHOUT ROWID;
			CREATE TEMP TABLE IF NOT EXISTS lifeboat_ref_pending (tbl TEXT NOT NULL, id TEXT NOT NULL, tenant TEXT NOT NULL, source TEXT NOT NULL);
			DELETE FROM temp.lifeboat_ref_ids; DELETE FROM temp.lifeboat_ref_pending;`);
		// The temporary tables spill to their file beyond the temp schema's page cache, which
		// better-sqlite3 builds at 16 MB: SQLite's own 2 MB default keeps verify and restore's RSS down.
		db.pragma('temp.cache_size = -2000');
		this.insertId = db.prepare(`INSERT INTO temp.lifeboat_ref_ids (tbl, id, tenant) VALUES (?, ?, ?)`);
		this.insertPending = db.prepare(`INSERT INTO temp.lifeboat_ref_pending (tbl, id, tenant, source) VALUES (?, ?, ?, ?)`);
		this.backupTenant = db.prepare(`SELECT tenant FROM temp.lifeboat_ref_ids WHERE tbl = ? AND id = ?`).pluck(true);
		this.batching = db.pragma('encoding', {simple: true}) === 'UTF-8';
		this.skippedLast = options.skipOrderedIds && this.batching ? new Map() : undefined;
		this.insertBatch = db.prepare(`INSERT INTO temp.lifeboat_ref_ids (tbl, id, tenant) VALUES ${Array.from({length: BATCH_ROWS}, () => '(?, ?, ?)').join(', ')}`);
	}

	/**
	 * Whether the ids of `table` are not remembered (skipOrderedIds): nothing in the table of ids
	 * then says which ids the archive holds (a replace finds the live rows it lacks by its walk).
	 */
	skips(table: string): boolean {
		return this.skippedLast !== undefined && SKIPPABLE.has(table) && !this.options.remembered?.has(table);
	}

	/**
	 * Remembers a row's id: in a batch when it is past every earlier id of its table (so not one of
	 * them), else at once, a repeated id refused.
	 */
	private remember(table: string, id: string, tenant: string, where: string): void {
		if (this.skippedLast && this.skips(table)) {
			const skipped = this.skippedLast.get(table);
			if (skipped !== undefined && compareBinaryText(id, skipped) <= 0) throw new IdsOutOfOrder(table);
			this.skippedLast.set(table, id);
			return;
		}
		const last = this.increasing.get(table);
		if (this.batching && last !== null && (last === undefined || id > last)) {
			this.increasing.set(table, id);
			this.pending.push(table, id, tenant);
			if (this.pending.length >= BATCH_ROWS * 3) this.flush();
			return;
		}
		if (last !== null) {
			this.increasing.set(table, null);
			this.flush();
		}
		try {
			this.insertId.run(table, id, tenant);
		} catch (error) {
			if ((error as {code?: string}).code?.startsWith('SQLITE_CONSTRAINT')) throw new LifeboatError('corrupt-archive', `${where}: ${table} ${showId(id)} appears twice in the backup${this.options.suffix ?? '; nothing was restored'}`);
			throw error;
		}
	}

	/** Writes the batched rows (before anything reads the table of ids). */
	flush(): void {
		if (this.pending.length === 0) return;
		const rows = this.pending;
		this.pending = [];
		if (rows.length === BATCH_ROWS * 3) {
			this.insertBatch.run(rows);
			return;
		}
		for (let index = 0; index < rows.length; index += 3) this.insertId.run(rows[index], rows[index + 1], rows[index + 2]);
	}

	/** Remembers a row of the archive (after any id remapping), then checks its references. */
	row(codec: TableCodec, values: readonly StoredValue[], where: string): void {
		const table = codec.spec.name;
		const id = values[0] as string;
		const tenant = values[1] as string;
		// Every row's id is remembered (on disk): a second row with one id is a damaged or crafted backup.
		this.remember(table, id, tenant, where);
		for (const {index, table: target} of codec.refs) {
			const value = values[index];
			if (typeof value === 'string' && value !== '') this.reference(target, value, tenant, `${where}: ${codec.names[index]}`);
		}
		for (const {index, table: target} of codec.refLists) {
			for (const value of listedIds(values[index] ?? null)) this.reference(target, value, tenant, `${where}: ${codec.names[index]}`);
		}
	}

	/** Every row of this table has been read. */
	tableDone(table: string): void {
		this.tablesRead.add(table);
	}

	/**
	 * Live rows that point at a row this archive brings, from another tenant: a dangling reference
	 * of tenant A must not become a link to tenant B's restored row. `replaced` leaves out live rows
	 * of tenants a replace restore rewrites or deletes anyway.
	 */
	inbound(options: {replaced?: readonly string[]}): void {
		this.flush();
		const tenants = options.replaced && options.replaced.length > 0 ? options.replaced : undefined;
		const scope = tenants ? ` AND r.tenant_id NOT IN (${tenants.map(() => '?').join(', ')})` : '';
		for (const table of TABLES) {
			for (const column of table.columns) {
				if (column.ref) {
					const found = this.inboundRef(table.name, column.name, column.ref, scope, tenants ?? []);
					if (found) throw this.linked(table.name, found.id, column.name, column.ref, found.target, String(found.tenant), found.other);
				}
				if (column.refList) {
					const rows = this.db.prepare(`SELECT r.id, r.tenant_id, r.${column.name} FROM ${table.name} r WHERE 1${scope}`).raw(true);
					for (const [id, tenant, list] of rows.iterate(...(tenants ?? [])) as Iterable<[unknown, unknown, StoredValue]>) {
						for (const target of listedIds(list)) {
							const other = this.backupTenant.get(column.refList, target) as string | undefined;
							if (other !== undefined && other !== tenant) throw this.linked(table.name, id, column.name, column.refList, target, String(tenant), other);
						}
					}
				}
			}
		}
	}

	/**
	 * A live row of `table` whose `column` points at a `target` row the archive brings for another
	 * tenant. When the archive's `target` rows are all of one tenant (a tenant's backup), only live
	 * rows of other tenants can match: they are found through the tenant_id index rather than by
	 * reading every live row.
	 */
	private inboundRef(table: string, column: string, target: string, scope: string, tenants: readonly string[]): {id: unknown; tenant: unknown; target: string; other: string} | undefined {
		const owners = this.db.prepare(`SELECT DISTINCT tenant FROM temp.lifeboat_ref_ids WHERE tbl = ? LIMIT 2`).pluck(true).all(target) as string[];
		if (owners.length === 0) return undefined;
		const select = `SELECT r.id AS id, r.tenant_id AS tenant, i.id AS target, i.tenant AS other FROM ${table} r JOIN temp.lifeboat_ref_ids i ON i.tbl = ? AND i.id = r.${column}`;
		if (owners.length === 1) {
			// `tenant IS NOT owner` as three parts SQLite answers from the tenant_id index (it does not for an OR).
			const parts = ['r.tenant_id < ?', 'r.tenant_id > ?', 'r.tenant_id IS NULL'].map(condition => `${select} WHERE ${condition}${scope}`);
			const params = [[target, owners[0], ...tenants], [target, owners[0], ...tenants], [target, ...tenants]].flat();
			return this.db.prepare(`SELECT * FROM (${parts.join(' UNION ALL ')}) LIMIT 1`).get(...params) as ReturnType<ReferenceCheck['inboundRef']>;
		}
		return this.db.prepare(`${select} WHERE i.tenant IS NOT r.tenant_id${scope} LIMIT 1`).get(target, ...tenants) as ReturnType<ReferenceCheck['inboundRef']>;
	}

	private linked(table: string, id: unknown, column: string, target: string, targetId: string, tenant: string, other: string): LifeboatError {
		return new LifeboatError(
			'conflict',
			`live ${table} ${showId(id)} (tenant ${showId(tenant)}) has ${column} pointing at ${target} ${showId(targetId)}, which this backup brings for tenant ${showId(other)}: restoring would link two tenants (cross-tenant reference); nothing was restored`,
			{forClients: `a live row of another tenant has ${column} pointing at ${target} ${showId(targetId)}, which this backup brings: restoring would link two tenants (cross-tenant reference); nothing was restored`},
		);
	}

	/** Checks the references that pointed into tables read after them. */
	finish(): void {
		this.flush();
		const found = this.db
			.prepare(
				`SELECT p.tbl AS tbl, p.id AS id, p.tenant AS tenant, p.source AS source, i.tenant AS other FROM temp.lifeboat_ref_pending p
				JOIN temp.lifeboat_ref_ids i ON i.tbl = p.tbl AND i.id = p.id WHERE i.tenant <> p.tenant LIMIT 1`,
			)
			.get() as {tbl: string; id: string; tenant: string; source: string; other: string} | undefined;
		if (found) throw this.crossTenant(found.source, found.tbl, found.id, found.tenant, found.other);
	}

	close(): void {
		this.db.exec(`DROP TABLE IF EXISTS temp.lifeboat_ref_ids; DROP TABLE IF EXISTS temp.lifeboat_ref_pending;`);
	}

	private reference(table: string, id: string, tenant: string, source: string): void {
		const key = `${table}\u0000${id}`;
		let owner = this.cache.get(key);
		if (owner === undefined) {
			owner = this.lookup(table, id);
			if (this.cache.size >= 50_000) this.cache.clear();
			// A table still to be read may yet hold the row: only a known owner is cached then.
			if (owner !== null || this.tablesRead.has(table) || !this.options.restored.has(table)) this.cache.set(key, owner);
		}
		if (owner !== null) {
			if (owner !== tenant) throw this.crossTenant(source, table, id, tenant, owner);
			return;
		}
		if (this.options.restored.has(table) && !this.tablesRead.has(table)) this.insertPending.run(table, id, tenant, source);
	}

	/** The tenant owning `table` row `id`, in the archive read so far or live; null when none does. */
	private lookup(table: string, id: string): string | null {
		for (let index = 0; index < this.pending.length; index += 3) {
			if (this.pending[index] === table && this.pending[index + 1] === id) return this.pending[index + 2]!;
		}
		const inBackup = this.backupTenant.get(table, id) as string | undefined;
		if (inBackup !== undefined) return inBackup;
		if (!this.options.live) return null;
		let statement = this.liveTenant.get(table);
		if (!statement) {
			statement = this.db.prepare(`SELECT tenant_id FROM ${table} WHERE id = ?`).pluck(true);
			this.liveTenant.set(table, statement);
		}
		const live = statement.get(id);
		return typeof live === 'string' ? live : null;
	}

	private crossTenant(source: string, table: string, id: string, tenant: string, other: string): LifeboatError {
		const suffix = this.options.suffix ?? '; nothing was restored';
		return new LifeboatError('unsafe-archive', `${crossTenantSentence(source, table, id, tenant, other)}${suffix}`, {
			// The other tenant may be a live one the client may not know of.
			forClients: `${crossTenantSentence(source, table, id, tenant)}${suffix}`,
		});
	}
}

/** Without `other`: "of another tenant" (the text for API clients). */
export function crossTenantSentence(source: string, table: string, id: string, tenant: string, other?: string): string {
	return `${source} points at ${table} ${showId(id)} of ${other === undefined ? 'another tenant' : `tenant ${other}`}, not of its own tenant ${tenant} (cross-tenant reference)`;
}
