import path from 'node:path';
import {TWO_FACTOR_BLOCK_PATH} from '../archive/archive-format.js';
import type {GatewayStore} from '../store/gateway-store.js';
import {allColumns, CATEGORIES, tableSpec, type CategoryId, type TableSpec} from '../store/schema.js';
import {JsonlSpool} from '../jsonl-spool.js';
import {redactRow, type Row} from '../redaction.js';

/** Daily logs are split into one JSONL per day under this folder. */
export const DAILY_LOG_DIR = 'memory/daily-logs/';

export type StagedFile = {archivePath: string; file: string; category: CategoryId};

export type TableDump = {
	staged: StagedFile[];
	rowCounts: Record<string, number>;
	/** Secrets taken out of rows for the encrypted block: table → column → row id → value. */
	sealed: Record<string, Record<string, Record<string, unknown>>>;
	redactedCounts: Record<string, number>;
	agentIds: string[];
	documents: Array<{id: string; ext: string}>;
	tenants: Array<{id: string; slug: string; name: string}>;
};

/** The archive path a table row file lives at; daily logs go in one file per day. */
export function archivePathsFor(table: TableSpec, row: Row): string {
	if (table.name === 'memory_daily_logs') return `${DAILY_LOG_DIR}${String(row['day'])}.jsonl`;
	return table.archivePath;
}

/**
 * Dumps the selected categories' tables to JSONL files in `stagingDir`, inside one read
 * transaction so every table comes from the same instant even while the gateway writes (WAL).
 * Rows stream through an iterator; the event loop gets a turn every few thousand rows so
 * progress shows and Ctrl+C is heard.
 */
export async function dumpTables(
	store: GatewayStore,
	options: {
		categories: readonly CategoryId[];
		tenantId: string | undefined;
		stagingDir: string;
		signal?: AbortSignal;
		onRows?: (table: string, rows: number) => void;
	},
): Promise<TableDump> {
	const {db} = store;
	const dump: TableDump = {staged: [], rowCounts: {}, sealed: {}, redactedCounts: {}, agentIds: [], documents: [], tenants: []};
	const where = options.tenantId ? ' WHERE tenant_id = ?' : '';
	const params = options.tenantId ? [options.tenantId] : [];
	db.exec('BEGIN');
	try {
		// The first read pins the snapshot for the whole transaction.
		dump.tenants = db.prepare(`SELECT id, slug, name FROM tenants${where.replace('tenant_id', 'id')} ORDER BY slug`).all(...params) as TableDump['tenants'];
		for (const category of CATEGORIES) {
			if (!options.categories.includes(category.id)) continue;
			for (const tableName of category.tables) {
				const table = tableSpec(tableName);
				const columns = allColumns(table).map(column => column.name);
				const statement = db.prepare(`SELECT ${columns.join(', ')} FROM ${table.name}${where} ORDER BY ${table.orderBy ?? 'id'}`);
				// Rows come ordered so each archive path is contiguous (daily logs by day): only one
				// file is open at a time, whatever the number of days.
				const paths: string[] = [];
				let spool: JsonlSpool | undefined;
				let count = 0;
				const seal = (column: string, id: string, value: unknown) => {
					((dump.sealed[table.name] ??= {})[column] ??= {})[id] = value;
					return `[ENCRYPTED: ${TWO_FACTOR_BLOCK_PATH}]`;
				};
				try {
					for (const row of statement.iterate(...params) as Iterable<Row>) {
						const archivePath = archivePathsFor(table, row);
						if (archivePath !== paths.at(-1)) {
							spool?.close();
							spool = new JsonlSpool(path.join(options.stagingDir, ...archivePath.split('/')));
							paths.push(archivePath);
						}
						const safe = redactRow(table, row, seal);
						if (safe !== row) {
							for (const column of table.columns) {
								const changed = column.secret === 'redact' ? row[column.name] !== null : column.scrub === true && safe[column.name] !== row[column.name];
								if (changed) {
									const key = `${table.name}.${column.name}`;
									dump.redactedCounts[key] = (dump.redactedCounts[key] ?? 0) + 1;
								}
							}
						}
						spool!.write(safe);
						if (table.name === 'agents') dump.agentIds.push(String(row['id']));
						if (table.name === 'documents') dump.documents.push({id: String(row['id']), ext: String(row['ext'])});
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
				for (const archivePath of paths) {
					dump.staged.push({archivePath, file: path.join(options.stagingDir, ...archivePath.split('/')), category: category.id});
				}
				dump.rowCounts[table.name] = count;
				options.onRows?.(table.name, count);
			}
		}
	} finally {
		db.exec('COMMIT');
	}
	return dump;
}
