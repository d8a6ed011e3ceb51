/**
 * One backup read once, front to back, into the diff's scratch store: each row of the compared
 * categories as (table, id, hash of its encoding), each file as (path in the data dir, SHA-256),
 * every entry's size and SHA-256 checked against manifest.json at the end, as restore checks them.
 * Rows are checked like restore checks them (table-codec's parseRow, tenants of the backup).
 */
import crypto from 'node:crypto';
import {MANIFEST_PATH, type BackupManifest, type BackupMetadata} from '../archive/archive-format.js';
import {DOCUMENT_FILES_PREFIX} from '../archive/archive-paths.js';
import {jsonEntryCeiling, openArchive, readAll, type ArchiveEntry, type ArchiveSource} from '../archive/archive-reader.js';
import {LineSplitter} from '../archive/line-splitter.js';
import {backupTenants} from '../backup/backup-scope.js';
import {parseManifest} from '../backup/read-metadata.js';
import {LifeboatError} from '../errors.js';
import {fileTarget, routeEntry, type EntryRoute, type FileRoute} from '../restore/archive-routes.js';
import {IDENTITY_MAPPER} from '../restore/id-map.js';
import {FILES_TABLE} from '../restore/restore-types.js';
import {codecFor, parseRow, rowTenant} from '../rows/table-codec.js';
import {showId} from '../rows/value-codec.js';
import type {CategoryId} from '../store/schema.js';
import {terminalSafe} from '../terminal-safe.js';
import type {DiffStore, Side} from './diff-store.js';
import {backupRowEncoding, captureFile, captureRow, rowHash, type CapturedEntity} from './entity.js';
import type {DiffProgress} from './diff-types.js';

/** What a side reads: the compared categories, the tenant rows are limited to, and the `--id` entity to capture. */
export type SidePlan = {
	side: Side;
	categories: ReadonlySet<CategoryId>;
	scopeTenant: string | null;
	id: string | undefined;
	captured: Map<string, CapturedEntity>;
	/** False when a side is a JSON bundle made without --include-files: document files are then compared on neither side. */
	documentFiles: boolean;
	warnings: string[];
	signal?: AbortSignal;
	onProgress?: (progress: DiffProgress) => void;
};

const MAX_LINE = 64 * 1024 * 1024;

/** Unknown entries named one by one; the rest are counted (an archive may hold two million). */
const MAX_UNKNOWN_NAMED = 50;

/** Paths come from the archive (or its manifest): printed with no control character raw. */
function corrupt(label: string, message: string): LifeboatError {
	return new LifeboatError('corrupt-archive', terminalSafe(`${label}: ${message}`));
}

function checkAbort(signal: AbortSignal | undefined): void {
	if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new LifeboatError('interrupted', 'Diff interrupted');
}

/** Streams an entry, hashing every byte; `onLines` (a table) gets its non-empty lines numbered as restore numbers them. */
async function hashEntry(entry: ArchiveEntry, signal: AbortSignal | undefined, onLine?: (line: string, number: number) => void): Promise<{size: number; sha256: string}> {
	const hash = crypto.createHash('sha256');
	const splitter = onLine ? new LineSplitter({what: entry.path, maxLineBytes: MAX_LINE}) : undefined;
	let number = 0;
	const emit = (line: string) => {
		if (line.trim().length > 0) onLine!(line, ++number);
	};
	let size = 0;
	for await (const chunk of entry.open()) {
		const buffer = chunk as Buffer;
		hash.update(buffer);
		size += buffer.length;
		splitter?.push(buffer, emit);
		checkAbort(signal);
	}
	splitter?.end(emit);
	return {size, sha256: hash.digest('hex')};
}

export async function readBackupSide(store: DiffStore, source: ArchiveSource, metadata: BackupMetadata, plan: SidePlan): Promise<void> {
	const tenants = new Set(backupTenants(metadata).map(tenant => tenant.id));
	let manifest: BackupManifest | undefined;
	let unknown = 0;
	const reader = openArchive(source);
	if (reader.readEntry) {
		const text = await reader.readEntry(MANIFEST_PATH);
		if (text) manifest = parseManifest(text);
	}
	for await (const entry of reader.entries()) {
		checkAbort(plan.signal);
		if (entry.kind === 'directory') continue;
		const route = routeEntry(entry.path);
		if (route.kind === 'unsafe') throw new LifeboatError('unsafe-archive', terminalSafe(`${entry.path}: ${route.reason}`));
		let digest: {size: number; sha256: string};
		if (route.kind === 'metadata' || route.kind === 'manifest') {
			const text = await readAll(entry, jsonEntryCeiling(entry.path));
			digest = {size: text.length, sha256: crypto.createHash('sha256').update(text).digest('hex')};
			if (route.kind === 'manifest') manifest ??= parseManifest(text);
		} else if (route.kind === 'table' && plan.categories.has(route.category)) {
			digest = await readTable(store, entry, route, tenants, plan);
		} else if (route.kind !== 'table' && route.kind !== 'two-factor' && route.kind !== 'index' && route.kind !== 'unknown' && plan.categories.has(route.category) && (plan.documentFiles || !entry.path.startsWith(DOCUMENT_FILES_PREFIX))) {
			digest = await hashEntry(entry, plan.signal);
			addFile(store, entry.path, route, digest, plan);
		} else {
			// Not compared (another category, the sealed 2FA block, an entry this Lifeboat does not know): checked against the manifest only.
			digest = await hashEntry(entry, plan.signal);
			if (route.kind === 'unknown' && ++unknown <= MAX_UNKNOWN_NAMED) plan.warnings.push(terminalSafe(`${source.label}: ${entry.path}: not a part of a backup this Lifeboat knows; not compared`));
		}
		store.addDigest(plan.side, entry.path, digest);
	}
	if (unknown > MAX_UNKNOWN_NAMED) plan.warnings.push(terminalSafe(`${source.label}: and ${unknown - MAX_UNKNOWN_NAMED} more entries this Lifeboat does not know; not compared`));
	checkManifest(store, source.label, manifest, plan.side);
	if (plan.scopeTenant !== null) store.dropOrphanFiles(plan.side);
}

async function readTable(store: DiffStore, entry: ArchiveEntry, route: Extract<EntryRoute, {kind: 'table'}>, tenants: ReadonlySet<string>, plan: SidePlan): Promise<{size: number; sha256: string}> {
	const codec = codecFor(route.table);
	const table = route.table.name;
	let rows = 0;
	return hashEntry(entry, plan.signal, (line, number) => {
		const where = `${entry.path} line ${number}`;
		const values = parseRow(codec, line, where);
		const tenant = rowTenant(codec, values);
		if (!tenants.has(tenant)) throw new LifeboatError('unsafe-archive', `${where}: row of tenant ${showId(tenant)}, which is not a tenant this backup covers`);
		if (plan.scopeTenant !== null && tenant !== plan.scopeTenant) return;
		const id = values[0] as string;
		const encoded = backupRowEncoding(codec, values);
		if (!store.add(plan.side, route.category, table, id, rowHash(encoded))) throw new LifeboatError('corrupt-archive', `${where}: ${table} ${showId(id)} appears twice in the backup`);
		if (id === plan.id) plan.captured.set(table, captureRow(route.category, codec, encoded));
		if (++rows % 20_000 === 0) plan.onProgress?.({side: plan.side === 1 ? 'A' : 'B', what: table, rows});
	});
}

function addFile(store: DiffStore, archivePath: string, route: FileRoute, digest: {size: number; sha256: string}, plan: SidePlan): void {
	const target = fileTarget(route, IDENTITY_MAPPER);
	const owner = route.kind === 'gateway-file' ? null : route.ownerId;
	if (!store.add(plan.side, route.category, FILES_TABLE, target, Buffer.from(digest.sha256, 'hex'), owner)) {
		throw new LifeboatError('unsafe-archive', terminalSafe(`${archivePath}: lands on ${target}, which another entry of this archive holds`));
	}
	if (target === plan.id) plan.captured.set(FILES_TABLE, captureFile(route.category, digest));
}

/** Every entry read is listed in manifest.json with its size and SHA-256, and every listed one was read. */
function checkManifest(store: DiffStore, label: string, manifest: BackupManifest | undefined, side: Side): void {
	if (!manifest) throw corrupt(label, 'manifest.json: missing (the backup was not finished or was cut short)');
	for (const file of manifest.files) {
		const actual = store.digest(side, file.path);
		if (!actual) throw corrupt(label, `${file.path}: listed in the manifest but missing from the archive`);
		if (actual.size !== file.size || actual.sha256 !== file.sha256) throw corrupt(label, `${file.path}: checksum mismatch (file is corrupted)`);
	}
	const read = store.digestCount(side) - (store.digest(side, MANIFEST_PATH) ? 1 : 0);
	if (read !== manifest.files.length) throw corrupt(label, `${read - manifest.files.length} entr${read - manifest.files.length === 1 ? 'y is' : 'ies are'} in the archive but not in the manifest`);
}
