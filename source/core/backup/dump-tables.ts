import path from 'node:path';
import type Database from 'better-sqlite3';
import {TWO_FACTOR_BLOCK_PATH} from '../archive/archive-format.js';
import {dailyLogArchivePath} from '../archive/archive-paths.js';
import {READ_LIMITS} from '../archive/entry-guard.js';
import {LifeboatError} from '../errors.js';
import type {GatewayStore} from '../store/gateway-store.js';
import {CATEGORIES, tableSpec, TABLES, type CategoryId, type TableSpec} from '../store/schema.js';
import {JsonlSpool} from '../jsonl-spool.js';
import {redactRow, type Row} from '../redaction.js';
import {prepareExact} from '../rows/exact-read.js';
import {countDanglingReferences} from '../rows/dangling-references.js';
import {crossTenantSentence, listedIds} from '../rows/reference-check.js';
import {codecFor, encodeRow, keyProblem, scrubStored, type TableCodec} from '../rows/table-codec.js';
import {encodeValue, showId, valueKey, type StoredValue} from '../rows/value-codec.js';
import {rowHash, tableIndexPath, TOMBSTONES_PATH, type IndexDb} from './backup-index.js';

export type StagedFile = {archivePath: string; file: string; category: CategoryId};

export type TableDump = {
	staged: StagedFile[];
	rowCounts: Record<string, number>;
	/** Secrets taken out of rows for the encrypted block: table → column → row id → encoded value. */
	sealed: Record<string, Record<string, Record<string, unknown>>>;
	redactedCounts: Record<string, number>;
	agentIds: string[];
	documents: Array<{id: string; tenant: string; ext: StoredValue}>;
	tenants: Array<{id: string; slug: string; name: string}>;
	/** Dangling references per `table.column` in the dumped rows (metadata.danglingReferences). */
	danglingReferences: Record<string, number>;
	/** The index files (backup-index.ts): one per table, and the tombstones of an incremental. */
	index: Array<{archivePath: string; file: string}>;
	/** Rows per table in the backup's state (an incremental's rowCounts count only what it carries). */
	stateCounts: Record<string, number>;
	/** Incremental: rows of the base its state lacks, per table. */
	deletedRows: Record<string, number>;
};

type DumpOptions = {
	categories: readonly CategoryId[];
	tenantId: string | undefined;
	stagingDir: string;
	signal?: AbortSignal;
	onRows?: (progress: TableProgress) => void;
	/** Incremental: the base's index; only rows new or changed since it are written. */
	base?: IndexDb;
	/** Where the tombstones of an incremental are spooled (opened by dumpTables when `base` is set). */
	tombstones?: JsonlSpool;
};

/** Where the snapshot is: rows of this table read so far out of its total, and which table of how many. */
export type TableProgress = {table: string; rows: number; rowsTotal: number; tableIndex: number; tableCount: number};

/** The archive path a table row file lives at; daily logs go in one file per day. */
export function archivePathFor(table: TableSpec, codec: TableCodec, values: readonly StoredValue[]): string {
	if (table.name !== 'memory_daily_logs') return table.archivePath;
	const day = values[codec.names.indexOf('day')] ?? null;
	return dailyLogArchivePath(day, valueKey(day));
}

/**
 * Dumps the selected categories' tables to JSONL files in `stagingDir`, inside one read
 * transaction so every table comes from the same instant even while the gateway writes (WAL).
 * Values are read exactly and encoded by value-codec.ts, so every legal value restores as it was.
 * Rows stream through an iterator; the event loop gets a turn every few thousand rows so
 * progress shows and Ctrl+C is heard.
 */
export async function dumpTables(store: GatewayStore, options: DumpOptions): Promise<TableDump> {
	const {db} = store;
	const dump: TableDump = {staged: [], rowCounts: {}, sealed: {}, redactedCounts: {}, agentIds: [], documents: [], tenants: [], danglingReferences: {}, index: [], stateCounts: {}, deletedRows: {}};
	db.exec('BEGIN');
	try {
		// The first read pins the snapshot for the whole transaction.
		const where = options.tenantId ? ' WHERE id = ?' : '';
		const tenants = db.prepare(`SELECT id, slug, name FROM tenants${where} ORDER BY slug`).all(...(options.tenantId ? [options.tenantId] : [])) as Array<Record<string, unknown>>;
		// A summary for people and for restore's scope: text whatever the columns hold (ids are checked as rows).
		dump.tenants = tenants.map(tenant => ({id: String(tenant['id']), slug: String(tenant['slug']), name: String(tenant['name'])}));
		if (!options.tenantId) dump.tenants.push(...orphanTenants(db, options.categories, new Set(dump.tenants.map(tenant => tenant.id))));
		refuseCrossTenantReferences(db, options.categories, options.tenantId);
		// Counted in the same snapshot: `lifeboat drill` checks a restore leaves no more than these.
		for (const [key, {count}] of Object.entries(countDanglingReferences(db, options.categories, options.tenantId))) dump.danglingReferences[key] = count;
		const tables = CATEGORIES.filter(category => options.categories.includes(category.id)).flatMap(category => category.tables.map(name => ({name, category: category.id})));
		for (const [index, table] of tables.entries()) {
			await dumpTable(store, tableSpec(table.name), table.category, options, dump, {tableIndex: index + 1, tableCount: tables.length});
		}
	} finally {
		db.exec('COMMIT');
	}
	return dump;
}

async function dumpTable(
	store: GatewayStore,
	table: TableSpec,
	category: CategoryId,
	options: DumpOptions,
	dump: TableDump,
	position: {tableIndex: number; tableCount: number},
): Promise<void> {
	const codec = codecFor(table);
	// A tenant row belongs to a tenant by its own id (its tenant_id may say something else).
	const where = options.tenantId ? (table.name === 'tenants' ? ' WHERE id = ?' : ' WHERE tenant_id = ?') : '';
	const params = options.tenantId ? [options.tenantId] : [];
	// Counted inside the same snapshot as the rows, so "n of total" ends exactly at the total.
	const rowsTotal = Number(store.db.prepare(`SELECT COUNT(*) FROM ${table.name}${where}`).pluck(true).get(...params));
	const report = (rows: number) => options.onRows?.({table: table.name, rows, rowsTotal, ...position});
	report(0);
	const sql = `SELECT ${codec.names.join(', ')}, _rowid_ FROM ${table.name}${where} ORDER BY ${table.orderBy ?? 'id'}`;
	const statement = prepareExact(store.db, table.name, codec.names, sql);
	// Rows come ordered so each archive path is contiguous (daily logs by day): only one file is
	// open at a time, whatever the number of days.
	const paths: string[] = [];
	let spool: JsonlSpool | undefined;
	let count = 0;
	let state = 0;
	const indexFile = path.join(options.stagingDir, ...tableIndexPath(table.name).split('/'));
	const index = new JsonlSpool(indexFile);
	dump.index.push({archivePath: tableIndexPath(table.name), file: indexFile});
	const {base} = options;
	const compare = base?.tables.has(table.name) ? base : undefined;
	const seal = (column: string, id: string, value: unknown) => {
		// Keyed by ids, which can be any text ('__proto__' too): objects without a prototype.
		((dump.sealed[table.name] ??= Object.create(null) as Record<string, Record<string, unknown>>)[column] ??= Object.create(null) as Record<string, unknown>)[id] = encodeValue(value as StoredValue, 'TEXT');
		return `[ENCRYPTED: ${TWO_FACTOR_BLOCK_PATH}]`;
	};
	try {
		for (const values of statement.iterate(...params)) {
			for (const index of [0, 1]) {
				const problem = keyProblem(values[index]);
				if (problem) {
					throw new LifeboatError('unsupported-data', `${table.name}: row ${state + 1} (in ${table.orderBy ?? 'id'} order): ${codec.names[index]} ${problem}; Lifeboat carries text ids only, so no backup was written`);
				}
			}
			const line = JSON.stringify(redactedRow(codec, values, seal, dump));
			// Restore reads rows back one line at a time, up to a limit: a longer row is refused here.
			if (line.length * 3 > READ_LIMITS.maxLineBytes && Buffer.byteLength(line, 'utf8') > READ_LIMITS.maxLineBytes) {
				throw new LifeboatError('unsupported-data', `${table.name} ${showId(values[0])}: the row is ${Buffer.byteLength(line, 'utf8')} bytes as JSON, over the ${READ_LIMITS.maxLineBytes} a restore reads back, so no backup was written`);
			}
			if (table.name === 'agents') dump.agentIds.push(values[0] as string);
			if (table.name === 'documents') dump.documents.push({id: values[0] as string, tenant: values[1] as string, ext: values[codec.extColumn!] ?? null});
			const hash = rowHash(line);
			index.write([values[0], hash]);
			state++;
			// An incremental carries a row only when its base lacks it or holds another version.
			if (!compare || compare.row(table.name, values[0] as string) !== hash) {
				const archivePath = archivePathFor(table, codec, values);
				if (archivePath !== paths.at(-1)) {
					spool?.close();
					spool = new JsonlSpool(path.join(options.stagingDir, ...archivePath.split('/')));
					paths.push(archivePath);
				}
				spool!.writeLine(line);
				count++;
			}
			if (state % 5000 === 0) {
				report(state);
				await new Promise(resolve => setImmediate(resolve));
				if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
			}
		}
	} finally {
		spool?.close();
		index.close();
	}
	if (compare && options.tombstones) {
		let deleted = 0;
		for (const id of compare.unseenRows(table.name)) {
			options.tombstones.write({table: table.name, id});
			deleted++;
		}
		if (deleted > 0) dump.deletedRows[table.name] = deleted;
	}
	// An empty table still gets its (empty) file, so restore can tell "none" from "not included".
	if (paths.length === 0 && table.name !== 'memory_daily_logs') {
		new JsonlSpool(path.join(options.stagingDir, ...table.archivePath.split('/'))).close();
		paths.push(table.archivePath);
	}
	for (const archivePath of paths) dump.staged.push({archivePath, file: path.join(options.stagingDir, ...archivePath.split('/')), category});
	dump.rowCounts[table.name] = count;
	dump.stateCounts[table.name] = state;
	report(state);
}

/** A row as it goes into the backup: secrets redacted or sealed, credentials scrubbed, values encoded (also what `backup diff` compares a live row as). */
export function redactedRow(codec: TableCodec, values: StoredValue[], seal: (column: string, id: string, value: unknown) => string, dump: Pick<TableDump, 'redactedCounts'>): Record<string, unknown> {
	const row: Row = {};
	codec.names.forEach((name, index) => {
		row[name] = values[index];
	});
	let safe = redactRow(codec.spec, row, seal);
	// Text that is not UTF-8, or a BLOB, in a scrub column is scrubbed as bytes (redactRow takes text).
	for (const index of codec.scrubbed) {
		const value = row[codec.names[index]!] as StoredValue;
		if (typeof value === 'string' || value === null) continue;
		const scrubbed = scrubStored(value);
		if (scrubbed !== value) safe = {...safe, [codec.names[index]!]: scrubbed};
	}
	if (safe !== row) {
		for (const column of codec.spec.columns) {
			const changed = column.secret === 'redact' ? row[column.name] !== null : column.scrub === true && safe[column.name] !== row[column.name];
			if (changed) {
				const key = `${codec.spec.name}.${column.name}`;
				dump.redactedCounts[key] = (dump.redactedCounts[key] ?? 0) + 1;
			}
		}
	}
	return encodeRow(
		codec,
		codec.names.map(name => safe[name] as StoredValue),
	);
}

/**
 * Tenant ids that rows of a whole-gateway backup carry but no tenants row holds (left behind by a
 * deleted tenant): listed in metadata as orphans, so restore scopes their rows like any tenant's.
 */
function orphanTenants(db: Database.Database, categories: readonly CategoryId[], known: ReadonlySet<string>): TableDump['tenants'] {
	const found = new Set<string>();
	for (const table of TABLES) {
		if (!categories.includes(table.category) || table.name === 'tenants') continue;
		for (const id of db.prepare(`SELECT DISTINCT tenant_id FROM ${table.name} WHERE tenant_id NOT IN (SELECT id FROM tenants)`).pluck(true).iterate() as Iterable<unknown>) {
			if (typeof id === 'string' && !known.has(id)) found.add(id);
		}
	}
	return [...found].sort().map(id => ({id, slug: '', name: '', orphan: true}));
}

/**
 * Restore refuses an archive whose rows point at another tenant's rows (reference-check.ts), so a
 * backup of such data could never be restored: it is refused here, naming a row, before anything
 * is written. `ref` columns: one join each, inside the dump's snapshot (the same exact-text match
 * restore makes). `refList` columns: read with the same listedIds() restore uses, so both sides
 * agree on what a list holds.
 */
function refuseCrossTenantReferences(db: Database.Database, categories: readonly CategoryId[], tenantId: string | undefined): void {
	const refuse = (table: string, id: unknown, column: string, target: string, targetId: string, tenant: unknown, other: unknown): never => {
		const sentence = crossTenantSentence(`${table} ${showId(id)}: ${column}`, target, targetId, String(tenant), String(other));
		throw new LifeboatError('unsupported-data', `${sentence}: restore refuses cross-tenant references, so no backup was written; fix the row in the gateway`);
	};
	const scope = tenantId ? ' AND r.tenant_id = ?' : '';
	const params = tenantId ? [tenantId] : [];
	for (const table of TABLES) {
		if (!categories.includes(table.category)) continue;
		for (const column of table.columns) {
			if (column.ref) {
				const sql = `SELECT r.id AS id, r.tenant_id AS tenant, t.id AS target, t.tenant_id AS other FROM ${table.name} r JOIN ${column.ref} t ON t.id = r.${column.name}
					WHERE typeof(r.${column.name}) = 'text' AND r.${column.name} <> '' AND t.tenant_id IS NOT r.tenant_id${scope} LIMIT 1`;
				const found = db.prepare(sql).get(...params) as {id: unknown; tenant: unknown; target: string; other: unknown} | undefined;
				if (found) refuse(table.name, found.id, column.name, column.ref, found.target, found.tenant, found.other);
			}
			if (column.refList) {
				const owner = db.prepare(`SELECT tenant_id FROM ${column.refList} WHERE id = ?`).pluck(true);
				const rows = prepareExact(db, table.name, ['id', 'tenant_id', column.name], `SELECT r.id, r.tenant_id, r.${column.name}, r._rowid_ FROM ${table.name} r WHERE 1${scope}`);
				for (const [id, tenant, list] of rows.iterate(...params)) {
					for (const targetId of listedIds(list ?? null)) {
						const other = owner.get(targetId);
						if (other !== undefined && other !== tenant) refuse(table.name, id, column.name, column.refList, targetId, tenant, other);
					}
				}
			}
		}
	}
}
