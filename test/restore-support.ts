/** Shared helpers of the restore tests: real stores, real archives, digests of a data dir. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {plainFileSource, type ArchiveSource} from '../source/core/archive/archive-reader.js';
import {createBackup, type CreateBackupOptions} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {createGateway} from '../source/core/store/gateway-store.js';
import {routeEntry} from '../source/core/archive/archive-paths.js';
import {allColumns, CATEGORIES, TABLES} from '../source/core/store/schema.js';
import {expect} from 'vitest';
import {LifeboatError} from '../source/core/errors.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

export type Row = Record<string, unknown>;

export function openDb(dataDir: string, readonly = true): Database.Database {
	return new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly, fileMustExist: true});
}

export function query<T = Row>(dataDir: string, sql: string, ...params: unknown[]): T[] {
	const db = openDb(dataDir);
	try {
		return db.prepare(sql).all(...params) as T[];
	} finally {
		db.close();
	}
}

export function exec(dataDir: string, sql: string, ...params: unknown[]): number {
	const db = openDb(dataDir, false);
	try {
		return db.prepare(sql).run(...params).changes;
	} finally {
		db.close();
	}
}

/** Rows of a table ordered by id, without the given columns. */
export function tableRows(dataDir: string, table: string, options: {without?: string[]; where?: string; params?: unknown[]} = {}): Row[] {
	const rows = query(dataDir, `SELECT * FROM ${table}${options.where ? ` WHERE ${options.where}` : ''} ORDER BY id`, ...(options.params ?? []));
	for (const row of rows) for (const column of options.without ?? []) delete row[column];
	return rows;
}

export const REDACT_COLUMNS: Record<string, string[]> = Object.fromEntries(
	TABLES.map(table => [table.name, table.columns.filter(column => column.secret === 'redact').map(column => column.name)]),
);

export function walkFiles(root: string, skip: (relative: string) => boolean = () => false): string[] {
	const out: string[] = [];
	const walk = (dir: string) => {
		for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
			const full = path.join(dir, entry.name);
			const relative = path.relative(root, full).split(path.sep).join('/');
			if (skip(relative)) continue;
			if (entry.isDirectory()) walk(full);
			else out.push(relative);
		}
	};
	if (fs.existsSync(root)) walk(root);
	return out.sort();
}

export function sha256(file: string): string {
	return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Everything a restore could change in a data dir: a dump of every table (all columns, ordered)
 * and the hash of every file except SQLite's own files. Equal digests = the store is unchanged.
 */
export function storeDigest(dataDir: string, options: {ignoreStaging?: boolean} = {}): {tables: Record<string, string>; files: Record<string, string>} {
	const tables: Record<string, string> = {};
	const db = openDb(dataDir);
	try {
		for (const table of [...TABLES.map(spec => spec.name), 'schema_meta']) {
			const rows = db.prepare(`SELECT * FROM ${table} ORDER BY 1`).raw(true).all();
			tables[table] = crypto.createHash('sha256').update(JSON.stringify(rows)).digest('hex');
		}
	} finally {
		db.close();
	}
	const files: Record<string, string> = {};
	for (const file of walkFiles(dataDir, relative => relative.startsWith('data/gateway.db') || (options.ignoreStaging === true && relative === '.lifeboat-restore'))) {
		files[file] = sha256(path.join(dataDir, file));
	}
	return {tables, files};
}

/** A demo gateway (generated once per call) in a fresh temp dir. */
export async function demoGateway(options: {tenants?: number; seed?: number} = {}): Promise<string> {
	const dir = path.join(tempDir('lifeboat-restore-'), 'gateway');
	await generateDemo({dir, tenants: options.tenants ?? 2, scale: 'small', seed: options.seed ?? 21});
	return dir;
}

export async function backupOf(dataDir: string, options: Partial<CreateBackupOptions> = {}): Promise<{path: string; source: ArchiveSource}> {
	const format = options.format ?? 'zip';
	const out = path.join(tempDir('lifeboat-restore-bk-'), `backup${format === 'dir' ? '' : '.' + format}`);
	const result = await createBackup({dataDir, out, format, ...options});
	return {path: result.path, source: plainFileSource(result.path)};
}

export function freshGateway(): string {
	const dir = path.join(tempDir('lifeboat-restore-fresh-'), 'gateway');
	createGateway(dir).close();
	return dir;
}

/** A gateway with tenant t1, one agent of it and `count` memory entries of t1, ids mem_ and the index in `digits` digits. */
export function memoryGateway(count: number, digits = 3): string {
	const dir = freshGateway();
	const db = openDb(dir, false);
	try {
		db.prepare(`INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'Tenant One', 'one', 'free')`).run();
		db.prepare(`INSERT INTO agents VALUES ('agt_1', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
		const insert = db.prepare(`INSERT INTO memory_entries VALUES (?, 't1', 'c', 'u', 'agt_1', 'fact', ?, 0.5, '[]')`);
		for (let index = 0; index < count; index++) insert.run(`mem_${String(index).padStart(digits, '0')}`, `entry ${index}`);
	} finally {
		db.close();
	}
	return dir;
}

/** Copies a data dir (after a checkpoint) so a test can change it without touching the original. */
export function copyGateway(dataDir: string): string {
	const db = openDb(dataDir, false);
	db.pragma('wal_checkpoint(TRUNCATE)');
	db.close();
	const dir = path.join(tempDir('lifeboat-restore-copy-'), 'gateway');
	fs.cpSync(dataDir, dir, {recursive: true});
	return dir;
}

/** Every ref column of every row in `tenantId` points at an existing row of that tenant. */
export function danglingRefs(dataDir: string, tenantId: string): string[] {
	const problems: string[] = [];
	const db = openDb(dataDir);
	try {
		for (const table of TABLES) {
			for (const column of allColumns(table)) {
				if (!column.ref) continue;
				const rows = db
					.prepare(`SELECT t.id AS id, t.${column.name} AS ref FROM ${table.name} t LEFT JOIN ${column.ref} r ON r.id = t.${column.name} AND r.tenant_id = t.tenant_id WHERE t.tenant_id = ? AND t.${column.name} IS NOT NULL AND r.id IS NULL`)
					.all(tenantId) as Array<{id: string; ref: string}>;
				for (const row of rows) problems.push(`${table.name}.${column.name} of ${row.id} → ${row.ref}`);
			}
		}
	} finally {
		db.close();
	}
	return problems;
}

/**
 * Re-seals a folder backup after a test edited it: metadata.json's totals and counts (each
 * table's rows, each category's files and bytes) and manifest.json are made to match the files
 * present (every file listed with its size and sha256), so the archive passes verify and only
 * restore's own checks can catch the edit, as an attacker who rebuilt the manifest would.
 */
export function resealDirBackup(dir: string): void {
	const metadataFile = path.join(dir, 'metadata.json');
	const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8')) as {totalBytes: number; totalFiles: number; counts: Record<string, {count: number; tables: Record<string, number>; files: number; bytes: number}>};
	const data = walkFiles(dir).filter(file => file !== 'manifest.json' && file !== 'metadata.json');
	metadata.totalFiles = data.length;
	metadata.totalBytes = data.reduce((sum, file) => sum + fs.statSync(path.join(dir, ...file.split('/'))).size, 0);
	for (const counts of Object.values(metadata.counts)) {
		counts.files = 0;
		counts.bytes = 0;
		for (const table of Object.keys(counts.tables)) counts.tables[table] = 0;
	}
	for (const file of data) {
		const route = routeEntry(file);
		const counts = 'category' in route ? metadata.counts[route.category] : undefined;
		if (!counts) continue;
		const bytes = fs.readFileSync(path.join(dir, ...file.split('/')));
		counts.files++;
		counts.bytes += bytes.length;
		if (route.kind === 'table' && route.table.name in counts.tables) counts.tables[route.table.name]! += bytes.toString('utf8').split('\n').filter(line => line.trim()).length;
	}
	for (const category of CATEGORIES) {
		const counts = metadata.counts[category.id];
		if (counts) counts.count = category.primaryTable ? (counts.tables[category.primaryTable] ?? 0) : counts.files;
	}
	fs.writeFileSync(metadataFile, JSON.stringify(metadata, null, 2) + '\n');
	const files = walkFiles(dir)
		.filter(file => file !== 'manifest.json')
		.map(file => {
			const bytes = fs.readFileSync(path.join(dir, ...file.split('/')));
			return {path: file, size: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex')};
		});
	fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({kind: 'lifeboat-backup', files, totalFiles: files.length, totalBytes: metadata.totalBytes}, null, 2) + '\n');
}

export function readJsonl(file: string): Row[] {
	return fs
		.readFileSync(file, 'utf8')
		.split('\n')
		.filter(line => line.trim())
		.map(line => JSON.parse(line) as Row);
}

export function writeJsonl(file: string, rows: readonly Row[]): void {
	fs.writeFileSync(file, rows.map(row => JSON.stringify(row)).join('\n') + '\n');
}

/** A folder backup edited by `edit(dir)` and re-sealed (see resealDirBackup). */
export async function editedBackup(dataDir: string, options: Partial<CreateBackupOptions>, edit: (dir: string) => void): Promise<ArchiveSource> {
	const {path: dir} = await backupOf(dataDir, {...options, format: 'dir'});
	edit(dir);
	resealDirBackup(dir);
	return plainFileSource(dir);
}

/**
 * A copy of `dataDir` whose last restore (through the CLI) quarantined `count` webhooks: they
 * were renamed live after the backup was made.
 */
export function quarantinedWebhooks(dataDir: string, count: number): {live: string; restoreId: string; ids: string[]} {
	const live = copyGateway(dataDir);
	const zip = path.join(tempDir(), 'webhooks.zip');
	expect(runCli(['backup', 'create', '--data-dir', live, '--out', zip, '--categories', 'webhooks']).code).toBe(0);
	const ids = query<{id: string}>(live, 'SELECT id FROM webhooks ORDER BY id').map(row => row.id).slice(0, count);
	for (const id of ids) exec(live, `UPDATE webhooks SET name = 'renamed live' WHERE id = ?`, id);
	const restore = runCli(['backup', 'restore', '--in', zip, '--data-dir', live, '--json']);
	expect(restore.code).toBe(0);
	return {live, restoreId: (JSON.parse(restore.stdout) as {restoreId: string}).restoreId, ids};
}

/**
 * Flips one byte in the middle of the compressed data of a zip's largest entry: a damage verify
 * must find, never one in a header (where the archive would not open at all, a different outcome).
 * The zip's central directory is read by hand, so the choice does not depend on timestamps.
 */
export function flipByteInLargestEntry(bytes: Buffer): Buffer {
	const copy = Buffer.from(bytes);
	const end = copy.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
	let at = copy.readUInt32LE(end + 16);
	const entries = copy.readUInt16LE(end + 10);
	let best = {header: -1, size: 0};
	for (let index = 0; index < entries; index++) {
		const size = copy.readUInt32LE(at + 20);
		const header = copy.readUInt32LE(at + 42);
		if (size > best.size) best = {header, size};
		at += 46 + copy.readUInt16LE(at + 28) + copy.readUInt16LE(at + 30) + copy.readUInt16LE(at + 32);
	}
	if (best.header < 0 || best.size < 16) throw new Error('no entry large enough to damage');
	const data = best.header + 30 + copy.readUInt16LE(best.header + 26) + copy.readUInt16LE(best.header + 28);
	copy[data + Math.floor(best.size / 2)]! ^= 0xff;
	return copy;
}

/** How `run` ends: `ok`, `<code>: <message>` for an operator error, `bug: …` for anything else. */
export async function outcome(run: () => Promise<unknown>): Promise<string> {
	try {
		await run();
		return 'ok';
	} catch (error) {
		return error instanceof LifeboatError ? `${error.code}: ${error.message}` : `bug: ${String(error)}`;
	}
}
