/**
 * The compact index every backup (full or incremental) carries, so the next incremental can tell
 * what changed without reading the rows of its base:
 *
 * - `index/<table>.jsonl`: one line `["<id>","<hash>"]` per row of the table in the backup's scope
 *   at that instant, `hash` the first 128 bits of the SHA-256 of the row's line as a backup writes
 *   it (base64url, 22 characters). 128 bits: a collision (a change not seen) is ~2^-64 likely even
 *   across billions of rows, and the full SHA-256 of every written row is still in the manifest.
 * - `index/files.jsonl`: one line `["<archive path>","<sha256>",<size>,"<stamp>"|null]` per file
 *   (agent files, documents, gateway files) of the backup's state, written or not. `stamp` (size,
 *   mtime and ctime in ns, inode) of a file read from the data dir as it is: the next incremental
 *   hashes such a file again only when its stamp changed (as restic and rsync do); ctime cannot be
 *   set back by a user, so a rewritten file is always seen.
 * - `index/deleted.jsonl` (incrementals): the tombstones, `{"table","id"}` or `{"file"}`, of what
 *   the base had and this backup's state lacks.
 *
 * An index is read into a temporary on-disk SQLite table (IndexDb), never into memory whole.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {openArchive, type ArchiveEntry, type ArchiveSource} from '../archive/archive-reader.js';
import {LineSplitter} from '../archive/line-splitter.js';
import {LifeboatError} from '../errors.js';
import {MANIFEST_PATH} from '../archive/archive-format.js';
import {parseManifest} from './read-metadata.js';

export const INDEX_DIR = 'index/';
export const FILES_INDEX_PATH = 'index/files.jsonl';
export const TOMBSTONES_PATH = 'index/deleted.jsonl';

export function tableIndexPath(table: string): string {
	return `${INDEX_DIR}${table}.jsonl`;
}

/** What says a data-dir file is unchanged without reading it: size, mtime and ctime (ns), inode. */
export function fileStamp(file: string): string {
	const stats = fs.statSync(file, {bigint: true});
	return `${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}:${stats.ino}`;
}

/** 128 bits of the SHA-256 of a row's line, base64url. */
export function rowHash(line: string): string {
	return crypto.createHash('sha256').update(line).digest().subarray(0, 16).toString('base64url');
}

/** Streams an entry's non-blank lines, hashing its bytes (the digest checks it against the manifest). */
export async function entryLines(entry: ArchiveEntry, onLine: (line: string) => void): Promise<{size: number; sha256: string}> {
	const hash = crypto.createHash('sha256');
	const splitter = new LineSplitter({what: entry.path});
	let size = 0;
	const emit = (line: string) => {
		if (line.trim().length > 0) onLine(line);
	};
	for await (const chunk of entry.open()) {
		hash.update(chunk as Buffer);
		size += (chunk as Buffer).length;
		splitter.push(chunk as Buffer, emit);
	}
	splitter.end(emit);
	return {size, sha256: hash.digest('hex')};
}

function parseIndexLine(line: string, where: string): unknown[] {
	let parsed: unknown;
	try {
		parsed = JSON.parse(line);
	} catch {
		parsed = undefined;
	}
	if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') throw new LifeboatError('corrupt-archive', `${where}: not an index line`);
	return parsed;
}

/** A backup's index in a temporary SQLite file (in a private folder the caller owns and removes). */
export class IndexDb {
	readonly db: Database.Database;
	private readonly insertRow: Database.Statement;
	private readonly insertFile: Database.Statement;
	private readonly seenRow: Database.Statement;
	private readonly seenFile: Database.Statement;
	private readonly fileStampOf: Database.Statement;
	/** Tables the loaded index covers (a table of a category the base lacks has no index: every row is new). */
	readonly tables = new Set<string>();
	hasFiles = false;

	constructor(dir: string) {
		this.db = new Database(path.join(dir, 'base-index.db'));
		this.db.pragma('journal_mode = OFF');
		this.db.pragma('synchronous = OFF');
		this.db.pragma('cache_size = -8000');
		this.db.exec(`
			CREATE TABLE rows (tbl TEXT, id TEXT, hash TEXT, seen INTEGER DEFAULT 0, PRIMARY KEY (tbl, id)) WITHOUT ROWID;
			CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT, size INTEGER, stamp TEXT, seen INTEGER DEFAULT 0) WITHOUT ROWID;
		`);
		this.insertRow = this.db.prepare('INSERT OR REPLACE INTO rows (tbl, id, hash) VALUES (?, ?, ?)');
		this.insertFile = this.db.prepare('INSERT OR REPLACE INTO files (path, sha256, size, stamp) VALUES (?, ?, ?, ?)');
		// One statement per look-up: marks the entry seen and hands back its hash (undefined when absent).
		this.seenRow = this.db.prepare('UPDATE rows SET seen = 1 WHERE tbl = ? AND id = ? RETURNING hash').pluck(true);
		this.seenFile = this.db.prepare('UPDATE files SET seen = 1 WHERE path = ? RETURNING sha256').pluck(true);
		this.fileStampOf = this.db.prepare('SELECT sha256 FROM files WHERE path = ? AND stamp = ?').pluck(true);
	}

	/**
	 * Reads a backup's index entries (streamed; other entries are skipped or drained), checking each
	 * against the manifest. A backup without an index (an older Lifeboat's) cannot be a base.
	 */
	async load(source: ArchiveSource, label: string): Promise<void> {
		const reader = openArchive(source);
		const digests = new Map<string, {size: number; sha256: string}>();
		let manifestText: Buffer | undefined = reader.readEntry ? await reader.readEntry(MANIFEST_PATH) : undefined;
		this.db.exec('BEGIN');
		for await (const entry of reader.entries()) {
			if (entry.kind === 'directory') continue;
			if (entry.path === MANIFEST_PATH && !manifestText) {
				const chunks: Buffer[] = [];
				for await (const chunk of entry.open()) chunks.push(chunk as Buffer);
				manifestText = Buffer.concat(chunks);
			} else if (entry.path === FILES_INDEX_PATH) {
				this.hasFiles = true;
				digests.set(entry.path, await entryLines(entry, line => {
					const [file, sha256, size, stamp] = parseIndexLine(line, entry.path);
					this.insertFile.run(file, sha256, typeof size === 'number' ? size : 0, typeof stamp === 'string' ? stamp : null);
				}));
			} else if (entry.path.startsWith(INDEX_DIR) && entry.path !== TOMBSTONES_PATH) {
				const table = entry.path.slice(INDEX_DIR.length, -'.jsonl'.length);
				this.tables.add(table);
				digests.set(entry.path, await entryLines(entry, line => {
					const [id, hash] = parseIndexLine(line, entry.path);
					this.insertRow.run(table, id, hash);
				}));
			} else if (source.format !== 'zip' && source.format !== 'dir') {
				// A stream: every entry is drained to reach the next.
				for await (const chunk of entry.open()) void chunk;
			}
		}
		this.db.exec('COMMIT');
		if (!this.hasFiles) throw new LifeboatError('usage', `${label} has no index (made by an older Lifeboat): it cannot be the base of an incremental backup; make a full backup first`);
		if (!manifestText) throw new LifeboatError('corrupt-archive', `${label}: manifest.json missing`);
		const listed = new Map(parseManifest(manifestText).files.map(file => [file.path, file]));
		for (const [file, digest] of digests) {
			const expected = listed.get(file);
			if (!expected || expected.sha256 !== digest.sha256 || expected.size !== digest.size) throw new LifeboatError('corrupt-archive', `${label}: ${file}: checksum mismatch (file is corrupted)`);
		}
	}

	/** The base's hash of a row, marking it seen; undefined when the base lacks it. */
	row(table: string, id: string): string | undefined {
		return this.seenRow.get(table, id) as string | undefined;
	}

	file(archivePath: string): string | undefined {
		return this.seenFile.get(archivePath) as string | undefined;
	}

	/** The base's SHA-256 of a file whose stamp is unchanged (not marked seen: file() does that). */
	unchangedFile(archivePath: string, stamp: string): string | undefined {
		return this.fileStampOf.get(archivePath, stamp) as string | undefined;
	}

	/** Rows of the base no row of this backup matched: the tombstones. */
	unseenRows(table: string): Iterable<string> {
		return this.db.prepare('SELECT id FROM rows WHERE tbl = ? AND seen = 0 ORDER BY id').pluck(true).iterate(table) as Iterable<string>;
	}

	unseenFiles(): Iterable<string> {
		return this.db.prepare('SELECT path FROM files WHERE seen = 0 ORDER BY path').pluck(true).iterate() as Iterable<string>;
	}

	close(): void {
		this.db.close();
	}
}
