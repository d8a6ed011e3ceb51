/**
 * The floor under the restore benchmarks: the least work any restore of the same data does, with
 * the same libraries on the same machine, and nothing else (no checks, no classification, no
 * secrets, no plan). Run as its own process, like the restores it stands beside:
 *
 *   node restore-floor.js dry-run <backup.zip> <data dir>   inflate, hash and parse the archive's
 *     memory entries, then read the live ones in id order
 *   node restore-floor.js replace <backup.zip> <data dir>   inflate, hash and parse them, UPDATE
 *     each live row by id with the archive's values in one transaction, COMMIT
 *
 * Prints {archiveSeconds, sqliteSeconds}. A restore's time beside this floor says how much of it
 * is the restore's own logic and how much the archive and SQLite cost whatever the code does.
 */
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import {openArchive, plainFileSource} from '../core/archive/archive-reader.js';
import {LineSplitter} from '../core/archive/line-splitter.js';

const ENTRY = 'memory/entries.jsonl';
const COLUMNS = ['created_at', 'updated_at', 'agent_id', 'kind', 'content', 'importance', 'tags'] as const;

type Row = Record<string, unknown>;

/** Streams the archive's memory entries: inflated, hashed, split into lines and parsed, each row handed to `visit`. */
async function eachArchiveRow(backup: string, visit: (row: Row) => void): Promise<number> {
	const reader = openArchive(plainFileSource(backup));
	let rows = 0;
	for await (const entry of reader.entries()) {
		const stream = entry.open();
		if (entry.path !== ENTRY) {
			stream.resume();
			await new Promise(resolve => stream.on('end', resolve));
			continue;
		}
		const hash = crypto.createHash('sha256');
		const splitter = new LineSplitter({what: ENTRY});
		const onLine = (line: string) => {
			visit(JSON.parse(line) as Row);
			rows++;
		};
		for await (const chunk of stream) {
			hash.update(chunk as Buffer);
			splitter.push(chunk as Buffer, onLine);
		}
		splitter.end(onLine);
		hash.digest();
	}
	return rows;
}

async function dryRunFloor(backup: string, database: string): Promise<{archiveSeconds: number; sqliteSeconds: number; rows: number}> {
	let started = performance.now();
	const rows = await eachArchiveRow(backup, () => undefined);
	const archiveSeconds = (performance.now() - started) / 1000;
	const db = new Database(database, {readonly: true});
	started = performance.now();
	let live = 0;
	for (const row of db.prepare('SELECT * FROM memory_entries ORDER BY id').raw(true).iterate()) if (row) live++;
	const sqliteSeconds = (performance.now() - started) / 1000;
	db.close();
	if (live !== rows) throw new Error(`read ${live} live rows and ${rows} archive rows`);
	return {archiveSeconds, sqliteSeconds, rows};
}

async function replaceFloor(backup: string, database: string): Promise<{archiveSeconds: number; sqliteSeconds: number; rows: number}> {
	const db = new Database(database);
	db.pragma('journal_mode = WAL');
	const update = db.prepare(`UPDATE memory_entries SET ${COLUMNS.map(column => `${column} = ?`).join(', ')} WHERE id = ?`);
	let sqlite = 0;
	let changed = 0;
	db.exec('BEGIN IMMEDIATE');
	const started = performance.now();
	const rows = await eachArchiveRow(backup, row => {
		const before = performance.now();
		changed += update.run(...COLUMNS.map(column => row[column]), row['id']).changes;
		sqlite += performance.now() - before;
	});
	const committing = performance.now();
	db.exec('COMMIT');
	const done = performance.now();
	db.close();
	if (changed !== rows) throw new Error(`updated ${changed} live rows of ${rows} archive rows`);
	sqlite += done - committing;
	return {archiveSeconds: (done - started - sqlite) / 1000, sqliteSeconds: sqlite / 1000, rows};
}

const [mode, backup, database] = process.argv.slice(2);
if ((mode !== 'dry-run' && mode !== 'replace') || !backup || !database) {
	process.stderr.write('usage: restore-floor.js dry-run|replace <backup.zip> <gateway.db>\n');
	process.exit(2);
}
const result = mode === 'dry-run' ? await dryRunFloor(backup, database) : await replaceFloor(backup, database);
process.stdout.write(`${JSON.stringify(result)}\n`);
