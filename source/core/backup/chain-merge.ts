/**
 * Merges a chain's links (full first) into one folder backup holding the chain's final state
 * (see backup-chain.ts). The newest link's index says what the state holds; links are read newest
 * first, so the first version of an id met is its latest, and an id or file the state lacks (a
 * tombstone) is never taken. Every link is checked against its own manifest, and the merged rows
 * and files against the newest index (a row or file of the state no link holds, or holds in
 * another version, breaks the chain).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import Database from 'better-sqlite3';
import {ARCHIVE_KIND, MANIFEST_PATH, METADATA_PATH, type BackupManifest, type BackupMetadata, type ManifestEntry} from '../archive/archive-format.js';
import {routeEntry} from '../archive/archive-paths.js';
import {jsonEntryCeiling, openArchive, readAll, type ArchiveEntry, type ArchiveSource} from '../archive/archive-reader.js';
import {LifeboatError} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {JsonlSpool} from '../jsonl-spool.js';
import {codecFor, parseRow} from '../rows/table-codec.js';
import {CATEGORIES, tableSpec} from '../store/schema.js';
import {entryLines, FILES_INDEX_PATH, INDEX_DIR, rowHash, TOMBSTONES_PATH} from './backup-index.js';
import {parseManifest, parseMetadata} from './read-metadata.js';
import {compareCodeUnits} from '../format.js';

export type ChainLink = {source: ArchiveSource; metadata: BackupMetadata; label: string};

type Digest = {size: number; sha256: string};

const FILE_MODE = 0o600;

function corrupt(message: string): LifeboatError {
	return new LifeboatError('corrupt-archive', message);
}

/** Writes an entry to `file` (when given) while hashing it. */
async function copyEntry(entry: ArchiveEntry, file?: string): Promise<Digest> {
	try {
		return await copyEntryUnchecked(entry, file);
	} catch (error) {
		// A path that is a file in one entry and a folder in another, or the same path twice: the chain's, not the disk's.
		const code = (error as NodeJS.ErrnoException).code;
		if (file && (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR')) throw corrupt(`${entry.path}: another entry of the chain is a file where this one needs a folder, a folder where it is a file, or the same path`);
		throw error;
	}
}

async function copyEntryUnchecked(entry: ArchiveEntry, file?: string): Promise<Digest> {
	const tap = hashingTap();
	if (file) fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
	const sink = file
		? fs.createWriteStream(file, {flags: 'wx', mode: FILE_MODE})
		: new Writable({
				write(_chunk, _encoding, callback) {
					callback();
				},
			});
	await pipeline(entry.open(), tap.transform, sink);
	return tap.result();
}

class MergeDb {
	readonly db: Database.Database;
	readonly addFinal: Database.Statement;
	readonly addFinalFile: Database.Statement;
	readonly seeFinalFile: Database.Statement;
	readonly addRow: Database.Statement;
	readonly addRowIfState: Database.Statement;
	readonly wantFile: Database.Statement;
	readonly takeFile: Database.Statement;

	constructor(dir: string) {
		this.db = new Database(path.join(dir, 'merge.db'));
		this.db.pragma('journal_mode = OFF');
		this.db.pragma('synchronous = OFF');
		this.db.pragma('cache_size = -8000');
		this.db.exec(`
			CREATE TABLE final (tbl TEXT, id TEXT, hash TEXT, PRIMARY KEY (tbl, id)) WITHOUT ROWID;
			CREATE TABLE final_files (path TEXT PRIMARY KEY, sha256 TEXT, taken TEXT) WITHOUT ROWID;
			CREATE TABLE rows (tbl TEXT, id TEXT, path TEXT, hash TEXT, line TEXT, UNIQUE (tbl, id));
		`);
		this.addFinal = this.db.prepare('INSERT OR REPLACE INTO final (tbl, id, hash) VALUES (?, ?, ?)');
		this.addFinalFile = this.db.prepare('INSERT OR REPLACE INTO final_files (path, sha256) VALUES (?, ?)');
		// A file the newest link holds, met before or after its index (a folder is read in name order: `index/` before `license/`).
		this.seeFinalFile = this.db.prepare('INSERT OR IGNORE INTO final_files (path) VALUES (?)');
		this.addRow = this.db.prepare('INSERT OR IGNORE INTO rows (tbl, id, path, hash, line) VALUES (?, ?, ?, ?, ?)');
		this.addRowIfState = this.db.prepare('INSERT OR IGNORE INTO rows (tbl, id, path, hash, line) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM final WHERE tbl = ? AND id = ?)');
		this.wantFile = this.db.prepare('SELECT 1 FROM final_files WHERE path = ? AND taken IS NULL').pluck(true);
		this.takeFile = this.db.prepare('UPDATE final_files SET taken = ? WHERE path = ?');
	}
}

type LinkState = {link: ChainLink; newest: boolean; digests: Map<string, Digest>; manifest?: BackupManifest; written: Map<string, Digest>};

/** Reads one link, newest first, taking what the state needs that no newer link gave. */
async function readLink(state: LinkState, merge: MergeDb, outDir: string, signal: AbortSignal | undefined): Promise<void> {
	const {link, newest, digests} = state;
	const reader = openArchive(link.source);
	for await (const entry of reader.entries()) {
		if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new LifeboatError('interrupted', 'Interrupted');
		if (entry.kind === 'directory') continue;
		if (digests.has(entry.path)) throw new LifeboatError('unsafe-archive', `${link.label}: ${entry.path} appears twice in the archive`);
		const route = routeEntry(entry.path);
		const out = path.join(outDir, ...entry.path.split('/'));
		let digest: Digest;
		if (route.kind === 'unsafe') throw new LifeboatError('unsafe-archive', `${link.label}: ${entry.path}: ${route.reason}`);
		if (route.kind === 'metadata' || route.kind === 'manifest') {
			const text = await readAll(entry, jsonEntryCeiling(entry.path));
			digest = {size: text.length, sha256: crypto.createHash('sha256').update(text).digest('hex')};
			if (route.kind === 'metadata' && parseMetadata(text).id !== link.metadata.id) throw corrupt(`${link.label}: metadata.json changed while reading the chain`);
			if (route.kind === 'manifest') state.manifest = parseManifest(text);
		} else if (route.kind === 'index' && newest && entry.path !== TOMBSTONES_PATH) {
			digest = await loadIndex(entry, merge);
		} else if (route.kind === 'table') {
			const table = route.table.name;
			const codec = codecFor(route.table);
			let line = 0;
			digest = await entryLines(entry, text => {
				line++;
				const id = parseRow(codec, text, `${link.label}: ${entry.path} line ${line}`)[0] as string;
				const hash = rowHash(text);
				if (newest) merge.addRow.run(table, id, entry.path, hash, text);
				else merge.addRowIfState.run(table, id, entry.path, hash, text, table, id);
			});
		} else if (route.kind === 'two-factor') {
			digest = await copyEntry(entry, newest ? out : undefined);
			if (newest) state.written.set(entry.path, digest);
		} else if (route.kind === 'agent-file' || route.kind === 'document-file' || route.kind === 'document-text' || route.kind === 'gateway-file') {
			const take = newest || merge.wantFile.get(entry.path) !== undefined;
			digest = await copyEntry(entry, take ? out : undefined);
			if (take && newest) merge.seeFinalFile.run(entry.path);
			if (take) {
				merge.takeFile.run(digest.sha256, entry.path);
				state.written.set(entry.path, digest);
			}
		} else {
			digest = await copyEntry(entry);
		}
		digests.set(entry.path, digest);
	}
	checkLinkManifest(state);
}

async function loadIndex(entry: ArchiveEntry, merge: MergeDb): Promise<Digest> {
	if (entry.path === FILES_INDEX_PATH) {
		return entryLines(entry, line => {
			const [file, sha256] = JSON.parse(line) as [string, string];
			// A file the newest link carries was taken already: keep what it was taken as.
			const taken = merge.db.prepare('SELECT taken FROM final_files WHERE path = ?').pluck(true).get(file) as string | null | undefined;
			merge.addFinalFile.run(file, sha256);
			if (taken) merge.takeFile.run(taken, file);
		});
	}
	const table = entry.path.slice(INDEX_DIR.length, -'.jsonl'.length);
	return entryLines(entry, line => {
		const parsed = JSON.parse(line) as unknown[];
		if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') throw corrupt(`${entry.path}: not an index line`);
		merge.addFinal.run(table, parsed[0], parsed[1]);
	});
}

/** Every entry of a link's manifest read with its size and SHA-256, nothing else. */
function checkLinkManifest({link, digests, manifest}: LinkState): void {
	if (!manifest) throw corrupt(`${link.label}: manifest.json: missing (the backup was not finished or was cut short)`);
	const listed = new Set<string>();
	for (const file of manifest.files) {
		listed.add(file.path);
		const actual = digests.get(file.path);
		if (!actual) throw corrupt(`${link.label}: ${file.path}: listed in the manifest but missing from the archive`);
		if (actual.size !== file.size || actual.sha256 !== file.sha256) throw corrupt(`${link.label}: ${file.path}: checksum mismatch (file is corrupted)`);
	}
	for (const name of digests.keys()) if (name !== MANIFEST_PATH && !listed.has(name)) throw corrupt(`${link.label}: ${name}: in the archive but not in the manifest`);
}

/** The merged state equals the newest index: every row and file of it held by some link, in that version. */
function checkState(merge: MergeDb, head: ChainLink): void {
	const missing = merge.db.prepare('SELECT f.tbl AS tbl, f.id AS id, r.hash AS hash FROM final f LEFT JOIN rows r ON r.tbl = f.tbl AND r.id = f.id WHERE r.hash IS NOT f.hash LIMIT 1').get() as {tbl: string; id: string; hash: string | null} | undefined;
	if (missing) throw corrupt(`Broken backup chain: ${missing.tbl} ${JSON.stringify(missing.id).slice(0, 80)} of ${head.metadata.name}'s state is ${missing.hash ? 'held in another version' : 'held'} by no link of the chain`);
	const extra = merge.db.prepare('SELECT tbl, id FROM rows r WHERE NOT EXISTS (SELECT 1 FROM final f WHERE f.tbl = r.tbl AND f.id = r.id) LIMIT 1').get() as {tbl: string; id: string} | undefined;
	if (extra) throw corrupt(`${head.label}: ${extra.tbl} ${JSON.stringify(extra.id).slice(0, 80)} is in the backup but not in its index`);
	const file = merge.db.prepare('SELECT path, taken FROM final_files WHERE taken IS NOT sha256 LIMIT 1').get() as {path: string; taken: string | null} | undefined;
	if (file) throw corrupt(`Broken backup chain: ${file.path} of ${head.metadata.name}'s state is ${file.taken ? 'held in another version' : 'held'} by no link of the chain`);
}

/**
 * Writes the merged table files; every table but the daily logs gets a file. A table is written
 * in id order, as a full backup dumps it (links are read newest first, so that is not the order
 * its rows were met): a restore then walks the live table beside it, and verify and the dry run
 * need not remember its ids (reference-check.ts). A table a backup dumps in another order (the
 * daily logs, by day) keeps the order the links held its rows in.
 */
function writeRows(merge: MergeDb, outDir: string, head: ChainLink): Map<string, number> {
	merge.db.exec('CREATE INDEX rows_path ON rows (path, id)');
	const counts = new Map<string, number>();
	const written = new Set<string>();
	const byId = merge.db.prepare('SELECT line FROM rows WHERE path = ? ORDER BY id').pluck(true);
	const asHeld = merge.db.prepare('SELECT line FROM rows WHERE path = ? ORDER BY rowid').pluck(true);
	const files = merge.db.prepare('SELECT path, tbl FROM rows GROUP BY path ORDER BY path').all() as Array<{path: string; tbl: string}>;
	for (const file of files) {
		const lines = tableSpec(file.tbl).orderBy === undefined ? byId : asHeld;
		const spool = new JsonlSpool(path.join(outDir, ...file.path.split('/')));
		written.add(file.path);
		try {
			for (const line of lines.iterate(file.path) as Iterable<string>) {
				spool.writeLine(line);
				counts.set(file.tbl, (counts.get(file.tbl) ?? 0) + 1);
			}
		} finally {
			spool.close();
		}
	}
	for (const category of CATEGORIES) {
		if (!head.metadata.categories.includes(category.id)) continue;
		for (const table of category.tables) {
			const spec = tableSpec(table);
			if (table !== 'memory_daily_logs' && !written.has(spec.archivePath)) new JsonlSpool(path.join(outDir, ...spec.archivePath.split('/'))).close();
		}
	}
	return counts;
}

/** Every file of the merged folder (but metadata and manifest) with its size and SHA-256. */
async function listMerged(outDir: string, written: ReadonlyMap<string, Digest>): Promise<ManifestEntry[]> {
	const entries: ManifestEntry[] = [];
	const walk = async (dir: string, prefix: string) => {
		for (const item of fs.readdirSync(dir, {withFileTypes: true}).sort((a, b) => compareCodeUnits(a.name, b.name))) {
			const relative = `${prefix}${item.name}`;
			if (item.isDirectory()) await walk(path.join(dir, item.name), `${relative}/`);
			else if (relative !== METADATA_PATH && relative !== MANIFEST_PATH) {
				const entry = {path: relative, kind: 'file' as const, size: 0, open: () => fs.createReadStream(path.join(dir, item.name))};
				const digest = written.get(relative) ?? (await copyEntry(entry));
				entries.push({path: relative, ...digest});
			}
		}
	};
	await walk(outDir, '');
	return entries;
}

function mergedMetadata(links: ChainLink[], counts: Map<string, number>, files: ManifestEntry[]): BackupMetadata {
	const head = links.at(-1)!;
	const {incremental: _incremental, ...rest} = head.metadata;
	const metadata: BackupMetadata = {...rest, format: 'dir', chain: links.map(link => ({id: link.metadata.id, name: link.metadata.name, createdAt: link.metadata.createdAt, location: link.label}))};
	metadata.counts = {};
	for (const category of CATEGORIES) {
		if (!metadata.categories.includes(category.id)) continue;
		const tables = Object.fromEntries(category.tables.map(table => [table, counts.get(table) ?? 0]));
		const own = files.filter(file => {
			const route = routeEntry(file.path);
			// Every entry of the category (tables, the 2FA block, files), as verify counts them.
			return 'category' in route && route.category === category.id;
		});
		const count = category.primaryTable ? tables[category.primaryTable] ?? 0 : own.length;
		metadata.counts[category.id] = {count, tables, files: own.length, bytes: own.reduce((sum, file) => sum + file.size, 0)};
	}
	metadata.totalFiles = files.length;
	metadata.totalBytes = files.reduce((sum, file) => sum + file.size, 0);
	return metadata;
}

/**
 * Merges `links` (full first) into `<scratch>/backup`, a folder backup of the chain's final
 * state, and returns its metadata (with `chain` naming the links).
 */
export async function mergeChain(links: ChainLink[], scratch: string, options: {signal?: AbortSignal; onLink?: (progress: {link: number; links: number; name: string}) => void} = {}): Promise<BackupMetadata> {
	const outDir = path.join(scratch, 'backup');
	fs.mkdirSync(outDir, {mode: 0o700});
	const merge = new MergeDb(scratch);
	const written = new Map<string, Digest>();
	try {
		merge.db.exec('BEGIN');
		for (let index = links.length - 1; index >= 0; index--) {
			const link = links[index]!;
			options.onLink?.({link: links.length - index, links: links.length, name: link.metadata.name});
			await readLink({link, newest: index === links.length - 1, digests: new Map(), written}, merge, outDir, options.signal);
		}
		merge.db.exec('COMMIT');
		const head = links.at(-1)!;
		checkState(merge, head);
		const counts = writeRows(merge, outDir, head);
		const files = await listMerged(outDir, written);
		const metadata = mergedMetadata(links, counts, files);
		const metadataBytes = Buffer.from(JSON.stringify(metadata, null, 2) + '\n');
		fs.writeFileSync(path.join(outDir, METADATA_PATH), metadataBytes, {mode: FILE_MODE, flag: 'wx'});
		const metadataEntry = {path: METADATA_PATH, size: metadataBytes.length, sha256: crypto.createHash('sha256').update(metadataBytes).digest('hex')};
		const manifest: BackupManifest = {kind: ARCHIVE_KIND, files: [metadataEntry, ...files], totalFiles: files.length + 1, totalBytes: metadata.totalBytes};
		fs.writeFileSync(path.join(outDir, MANIFEST_PATH), JSON.stringify(manifest, null, 2) + '\n', {mode: FILE_MODE, flag: 'wx'});
		return metadata;
	} finally {
		merge.db.close();
	}
}
