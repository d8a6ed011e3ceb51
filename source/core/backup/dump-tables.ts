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
import {crossTenantSentence} from '../rows/reference-check.js';
import {codecFor, encodeRow, keyProblem, type TableCodec} from '../rows/table-codec.js';
import {encodeValue, showId, valueKey, type StoredValue} from '../rows/value-codec.js';

export type StagedFile = {archivePath: string; file: string; category: CategoryId};

export type TableDump = {
	staged: StagedFile[];
	rowCounts: Record<string, number>;
	/** Secrets taken out of rows for the encrypted block: table → column → row id → encoded value. */
	sealed: Record<string, Record<string, Record<string, unknown>>>;
	redactedCounts: Record<string, number>;
	agentIds: string[];
	documents: Array<{id: string; ext: StoredValue}>;
	tenants: Array<{id: string; slug: string; name: string}>;
};

type DumpOptions = {
	categories: readonly CategoryId[];
	tenantId: string | undefined;
	stagingDir: string;
	signal?: AbortSignal;
	onRows?: (table: string, rows: number) => void;
};

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
	const dump: TableDump = {staged: [], rowCounts: {}, sealed: {}, redactedCounts: {}, agentIds: [], documents: [], tenants: []};
	db.exec('BEGIN');
	try {
		// The first read pins the snapshot for the whole transaction.
		const where = options.tenantId ? ' WHERE id = ?' : '';
		const tenants = db.prepare(`SELECT id, slug, name FROM tenants${where} ORDER BY slug`).all(...(options.tenantId ? [options.tenantId] : [])) as Array<Record<string, unknown>>;
		// A summary for people and for restore's scope: text whatever the columns hold (ids are checked as rows).
		dump.tenants = tenants.map(tenant => ({id: String(tenant['id']), slug: String(tenant['slug']), name: String(tenant['name'])}));
		refuseCrossTenantReferences(db, options.categories, options.tenantId);
		for (const category of CATEGORIES) {
			if (!options.categories.includes(category.id)) continue;
			for (const tableName of category.tables) await dumpTable(store, tableSpec(tableName), category.id, options, dump);
		}
	} finally {
		db.exec('COMMIT');
	}
	return dump;
}

async function dumpTable(store: GatewayStore, table: TableSpec, category: CategoryId, options: DumpOptions, dump: TableDump): Promise<void> {
	const codec = codecFor(table);
	const where = options.tenantId ? ' WHERE tenant_id = ?' : '';
	const params = options.tenantId ? [options.tenantId] : [];
	const sql = `SELECT ${codec.names.join(', ')}, _rowid_ FROM ${table.name}${where} ORDER BY ${table.orderBy ?? 'id'}`;
	const statement = prepareExact(store.db, table.name, codec.names, sql);
	// Rows come ordered so each archive path is contiguous (daily logs by day): only one file is
	// open at a time, whatever the number of days.
	const paths: string[] = [];
	let spool: JsonlSpool | undefined;
	let count = 0;
	const seal = (column: string, id: string, value: unknown) => {
		((dump.sealed[table.name] ??= {})[column] ??= {})[id] = encodeValue(value as StoredValue, 'TEXT');
		return `[ENCRYPTED: ${TWO_FACTOR_BLOCK_PATH}]`;
	};
	try {
		for (const values of statement.iterate(...params)) {
			for (const index of [0, 1]) {
				const problem = keyProblem(values[index]);
				if (problem) {
					throw new LifeboatError('unsupported-data', `${table.name}: row ${count + 1} (in ${table.orderBy ?? 'id'} order): ${codec.names[index]} ${problem}; Lifeboat carries text ids only, so no backup was written`);
				}
			}
			const archivePath = archivePathFor(table, codec, values);
			if (archivePath !== paths.at(-1)) {
				spool?.close();
				spool = new JsonlSpool(path.join(options.stagingDir, ...archivePath.split('/')));
				paths.push(archivePath);
			}
			const line = JSON.stringify(redactedRow(codec, values, seal, dump));
			// Restore reads rows back one line at a time, up to a limit: a longer row is refused here.
			if (line.length * 3 > READ_LIMITS.maxLineBytes && Buffer.byteLength(line, 'utf8') > READ_LIMITS.maxLineBytes) {
				throw new LifeboatError('unsupported-data', `${table.name} ${showId(values[0])}: the row is ${Buffer.byteLength(line, 'utf8')} bytes as JSON, over the ${READ_LIMITS.maxLineBytes} a restore reads back, so no backup was written`);
			}
			spool!.writeLine(line);
			if (table.name === 'agents') dump.agentIds.push(values[0] as string);
			if (table.name === 'documents') dump.documents.push({id: values[0] as string, ext: values[codec.extColumn!] ?? null});
			count++;
			if (count % 5000 === 0) {
				options.onRows?.(table.name, count);
				await new Promise(resolve => setImmediate(resolve));
				if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
			}
		}
	} finally {
		spool?.close();
	}
	// An empty table still gets its (empty) file, so restore can tell "none" from "not included".
	if (paths.length === 0 && table.name !== 'memory_daily_logs') {
		new JsonlSpool(path.join(options.stagingDir, ...table.archivePath.split('/'))).close();
		paths.push(table.archivePath);
	}
	for (const archivePath of paths) dump.staged.push({archivePath, file: path.join(options.stagingDir, ...archivePath.split('/')), category});
	dump.rowCounts[table.name] = count;
	options.onRows?.(table.name, count);
}

/** A row as it goes into the backup: secrets redacted or sealed, credentials scrubbed, values encoded. */
function redactedRow(codec: TableCodec, values: StoredValue[], seal: (column: string, id: string, value: unknown) => string, dump: TableDump): Record<string, unknown> {
	const row: Row = {};
	codec.names.forEach((name, index) => {
		row[name] = values[index];
	});
	const safe = redactRow(codec.spec, row, seal);
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
 * Restore refuses an archive whose rows point at another tenant's rows (reference-check.ts), so a
 * backup of such data could never be restored: it is refused here, naming a row, before anything
 * is written. One join per reference column, inside the dump's snapshot.
 */
function refuseCrossTenantReferences(db: Database.Database, categories: readonly CategoryId[], tenantId: string | undefined): void {
	for (const table of TABLES) {
		if (!categories.includes(table.category)) continue;
		const scope = tenantId ? ' AND r.tenant_id = ?' : '';
		for (const column of table.columns) {
			const target = column.ref ?? column.refList;
			if (!target) continue;
			const sql = column.ref
				? `SELECT r.id AS id, r.tenant_id AS tenant, t.id AS target, t.tenant_id AS other FROM ${table.name} r JOIN ${target} t ON t.id = r.${column.name}
					WHERE r.${column.name} <> '' AND t.tenant_id IS NOT r.tenant_id${scope} LIMIT 1`
				: `SELECT r.id AS id, r.tenant_id AS tenant, t.id AS target, t.tenant_id AS other FROM ${table.name} r,
					json_each(CASE WHEN typeof(r.${column.name}) = 'text' AND json_valid(r.${column.name}) AND json_type(r.${column.name}) = 'array' THEN r.${column.name} ELSE '[]' END) j
					JOIN ${target} t ON t.id = j.value WHERE j.type = 'text' AND j.value <> '' AND t.tenant_id IS NOT r.tenant_id${scope} LIMIT 1`;
			const found = db.prepare(sql).get(...(tenantId ? [tenantId] : [])) as {id: unknown; tenant: unknown; target: string; other: unknown} | undefined;
			if (found) {
				const sentence = crossTenantSentence(`${table.name} ${showId(found.id)}: ${column.name}`, target, found.target, String(found.tenant), String(found.other));
				throw new LifeboatError('unsupported-data', `${sentence}: restore refuses cross-tenant references, so no backup was written; fix the row in the gateway`);
			}
		}
	}
}
