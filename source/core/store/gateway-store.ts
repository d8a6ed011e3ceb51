import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import type Database from 'better-sqlite3';
import {describeStoreError, LifeboatError, storeIoFailure} from '../errors.js';
import {gatewayPaths, type GatewayPaths} from './gateway-paths.js';
import {CATEGORIES, SCHEMA_VERSION, schemaDdl, tableSpec, type CategoryId} from './schema.js';

let sqlite: typeof Database | undefined;

/**
 * better-sqlite3, loaded when a database is first opened, not with this module: the console
 * imports the store for Home, and draws its first frame before it opens any database.
 */
function Sqlite(): typeof Database {
	sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
	return sqlite;
}

export type GatewayStore = {
	readonly paths: GatewayPaths;
	readonly db: Database.Database;
	close(): void;
};

/**
 * How long a read or write waits for another process's lock before giving up (then the database
 * is reported as locked). LIFEBOAT_BUSY_TIMEOUT_MS overrides the default of 5 s.
 */
export function busyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
	const value = Number(env['LIFEBOAT_BUSY_TIMEOUT_MS']);
	return Number.isInteger(value) && value >= 0 ? value : 5000;
}

/**
 * Who holds a lock on the database, from /proc/locks (Linux; elsewhere, or when nothing matches,
 * SQLite's own message). SQLite locks with POSIX advisory locks, listed there with the PID.
 */
export function lockDetail(database: string, fallback: string): string {
	try {
		const stats = fs.statSync(database, {bigint: true});
		const major = ((stats.dev >> 8n) & 0xfffn) | ((stats.dev >> 32n) & ~0xfffn);
		const minor = (stats.dev & 0xffn) | ((stats.dev >> 12n) & ~0xffn);
		const file = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${stats.ino}`;
		const holders = new Map<string, string>();
		for (const line of fs.readFileSync('/proc/locks', 'utf8').split('\n')) {
			// "1: POSIX  ADVISORY  WRITE 6988 fe:00:2149076 1073741826 1073742335"; "->" lines wait.
			const [, type, , kind, pid, id] = line.trim().split(/\s+/);
			if (type === '->') continue;
			if (id !== file || !pid || pid === String(process.pid) || pid === '-1') continue;
			if (holders.get(pid) !== 'write') holders.set(pid, kind === 'WRITE' ? 'write' : 'read');
		}
		if (holders.size === 0) return fallback;
		return [...holders].map(([pid, kind]) => `PID ${pid} holds a ${kind} lock`).join(', ');
	} catch {
		return fallback;
	}
}

/**
 * Page cache (negative: KiB) of a connection that walks tables once, in order: a backup's dump,
 * a restore's plan and apply. better-sqlite3 builds SQLite with a 16 MB cache, which such a walk
 * fills with pages it never reads again (a 1,000,000-row restore's peak RSS was 12-14 MB higher
 * with it); this is SQLite's own default.
 */
export const WALK_CACHE_KIB = -2000;

/**
 * Opens an existing gateway data directory. Refuses directories that are not gateways, so a
 * typo in --data-dir never creates an empty store that a restore would then fill.
 */
export function openGateway(dataDir: string, options: {readonly?: boolean} = {}): GatewayStore {
	const paths = gatewayPaths(dataDir);
	if (!fs.existsSync(paths.root)) {
		throw new LifeboatError('not-a-gateway', `Data directory ${dataDir} does not exist (set --data-dir or LIFEBOAT_DATA_DIR)`);
	}
	if (!fs.existsSync(paths.database)) {
		throw new LifeboatError('not-a-gateway', `${dataDir} is not a gateway data directory (no data/gateway.db); create one with: lifeboat demo init --dir ${dataDir}`);
	}
	let db: Database.Database | undefined;
	try {
		db = new (Sqlite())(paths.database, {readonly: options.readonly ?? false, fileMustExist: true});
		db.pragma(`busy_timeout = ${busyTimeoutMs()}`);
		const row = db.prepare(`SELECT value FROM schema_meta WHERE key = 'schema_version'`).get() as {value: string} | undefined;
		if (!row) throw new Error('no schema version');
		if (Number(row.value) !== SCHEMA_VERSION) {
			db.close();
			throw new LifeboatError('unsupported-version', `Gateway schema version ${row.value} is not supported by this Lifeboat (supports ${SCHEMA_VERSION})`);
		}
	} catch (error) {
		// A connection opened before the failure is closed (it holds the file, and its -wal and -shm).
		if (db?.open) db.close();
		if (error instanceof LifeboatError) throw error;
		const code = (error as {code?: string}).code ?? '';
		const failed = storeIoFailure(code);
		if (failed) throw new LifeboatError(failed.code, `The gateway database ${failed.reason}`, {cause: error});
		const unopened = cannotOpen(dataDir, paths.database, code);
		if (unopened) throw new LifeboatError('not-a-gateway', unopened, {cause: error});
		throw describeStoreError(error, /^SQLITE_(BUSY|LOCKED)/.test(code) ? lockDetail(paths.database, (error as Error).message) : undefined) ??
			new LifeboatError('not-a-gateway', `${dataDir} is not a gateway data directory (${(error as Error).message})`, {cause: error});
	}
	const opened = db;
	return {paths, db: opened, close: () => opened.close()};
}

function allowed(file: string, mode: number): boolean {
	try {
		fs.accessSync(file, mode);
		return true;
	} catch {
		return false;
	}
}

/**
 * Why SQLite could not open the gateway database, when this user may not: it cannot read the
 * file, or its folder cannot get the -wal and -shm files SQLite opens a WAL database beside (made
 * when missing: a read-only mount or snapshot, another user's folder). Undefined otherwise.
 */
function cannotOpen(dataDir: string, database: string, code: string): string | undefined {
	if (!/^SQLITE_(CANTOPEN|READONLY_DIRECTORY|READONLY_CANTINIT)/.test(code)) return undefined;
	if (!allowed(database, fs.constants.R_OK)) return `${dataDir}: the gateway database ${database} cannot be read by this user (its permissions); run as its owner`;
	const folder = path.dirname(database);
	const companions = ['-wal', '-shm'].every(suffix => fs.existsSync(database + suffix));
	if (companions || allowed(folder, fs.constants.W_OK)) return undefined;
	return `${dataDir}: the gateway database cannot be opened where it is: its folder ${folder} is not writable by this user (a read-only mount or snapshot, or another user's folder), and SQLite needs to create gateway.db-wal and gateway.db-shm beside it; copy the data directory somewhere writable, or run as its owner`;
}

/** Creates an empty gateway (schema only) in a new or empty directory. */
export function createGateway(dataDir: string): GatewayStore {
	const paths = gatewayPaths(dataDir);
	for (const dir of [paths.root, `${paths.root}/data`, paths.agents, paths.documentFiles, paths.documentText]) {
		fs.mkdirSync(dir, {recursive: true});
	}
	const db = new (Sqlite())(paths.database);
	db.pragma('journal_mode = WAL');
	db.pragma(`busy_timeout = ${busyTimeoutMs()}`);
	db.exec(schemaDdl());
	db.prepare(`INSERT OR REPLACE INTO schema_meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
	return {paths, db, close: () => db.close()};
}

/**
 * An empty gateway held in memory (schema only), its paths those of `dataDir`, which need not
 * exist: what a dry run into a bare host plans against, writing nothing anywhere.
 */
export function openEmptyStore(dataDir: string): GatewayStore {
	const paths = gatewayPaths(dataDir);
	const db = new (Sqlite())(':memory:');
	db.exec(schemaDdl());
	db.prepare(`INSERT OR REPLACE INTO schema_meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
	return {paths, db, close: () => db.close()};
}

export type TenantSummary = {id: string; name: string; slug: string};

export function listTenants(store: GatewayStore): TenantSummary[] {
	return store.db.prepare(`SELECT id, name, slug FROM tenants ORDER BY name`).all() as TenantSummary[];
}

/**
 * Finds the tenant a --tenant/--into-tenant value names: an exact id first, then a slug, then a
 * name, so a value that is one tenant's slug and another's name means the slug's tenant. Two
 * tenants matching at the same level is refused (exit 2), never settled by whichever row SQLite
 * returns first. Undefined when nothing matches.
 */
export function findTenant(store: GatewayStore, tenant: string): TenantSummary | undefined {
	for (const column of ['id', 'slug', 'name'] as const) {
		const found = store.db.prepare(`SELECT id, name, slug FROM tenants WHERE ${column} = ? ORDER BY id LIMIT 11`).all(tenant) as TenantSummary[];
		if (found.length === 1) return found[0];
		if (found.length > 1) {
			const listed = found.slice(0, 10).map(row => `${row.slug} (${row.id})`).join(', ');
			throw new LifeboatError('usage', `Tenant "${tenant}" is ambiguous: it is the ${column} of ${found.length > 10 ? 'more than 10' : found.length} tenants: ${listed}${found.length > 10 ? ', …' : ''}; pass a tenant id instead`);
		}
	}
	return undefined;
}

/** Resolves a tenant by id, slug or name (see findTenant); throws a clear error listing the known ones. */
export function resolveTenant(store: GatewayStore, tenant: string): TenantSummary {
	const found = findTenant(store, tenant);
	if (!found) {
		const known = listTenants(store).map(row => row.slug).slice(0, 10).join(', ');
		throw new LifeboatError('unknown-tenant', `Unknown tenant "${tenant}" (known: ${known || 'none'})`);
	}
	return found;
}

export type CategoryCount = {category: CategoryId; tables: Record<string, number>; count: number};

/** Row counts per category (the headline table) and per table, optionally for one tenant. */
export function countCategories(store: GatewayStore, tenantId?: string): CategoryCount[] {
	return CATEGORIES.map(category => {
		const tables: Record<string, number> = {};
		for (const name of category.tables) {
			tableSpec(name);
			const sql = `SELECT COUNT(*) AS n FROM ${name}${tenantId ? ' WHERE tenant_id = ?' : ''}`;
			const row = (tenantId ? store.db.prepare(sql).get(tenantId) : store.db.prepare(sql).get()) as {n: number};
			tables[name] = row.n;
		}
		let count = category.primaryTable ? tables[category.primaryTable] ?? 0 : 0;
		if (category.files) {
			count = category.files.filter(file => fs.existsSync(`${store.paths.root}/${file.path}`)).length;
		}
		return {category: category.id, tables, count};
	});
}
