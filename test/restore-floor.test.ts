import {execFile} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import Database from 'better-sqlite3';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildMemoryGateway} from '../source/bench/bench-restore-plan.js';
import {restoreBaseline} from '../source/bench/bench-report.js';
import {createBackup} from '../source/core/backup/create-backup.js';

const run = promisify(execFile);
// The bench runs the built script as its own process (npm test builds first).
const floorScript = path.resolve('dist', 'bench', 'restore-floor.js');
const ROWS = 1500;

let work: string;
let backup: string;
let source: string;

const rows = (database: string) => {
	const db = new Database(database, {readonly: true});
	try {
		return db.prepare('SELECT * FROM memory_entries ORDER BY id').all();
	} finally {
		db.close();
	}
};

/** A gateway holding the same ids as the backup with other content (as the bench's populated one). */
function populated(name: string): string {
	const dir = path.join(work, name);
	buildMemoryGateway(dir, ROWS, 8);
	return path.join(dir, 'data', 'gateway.db');
}

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-floor-'));
	source = path.join(work, 'source');
	buildMemoryGateway(source, ROWS, 7);
	backup = path.join(work, 'backup.zip');
	await createBackup({dataDir: source, out: backup, format: 'zip', categories: ['users', 'agents', 'memory']});
});

afterAll(() => fs.rmSync(work, {recursive: true, force: true}));

describe('the restore floor the bench measures beside the restores', () => {
	it('replace: writes every archive row over the live row of its id, and says how many', async () => {
		const database = populated('replace');
		expect(rows(database)).not.toEqual(rows(path.join(source, 'data', 'gateway.db')));
		const {stdout} = await run(process.execPath, [floorScript, 'replace', backup, database]);
		const result = JSON.parse(stdout) as {rows: number; archiveSeconds: number; sqliteSeconds: number};
		expect(result.rows).toBe(ROWS);
		expect(result.archiveSeconds).toBeGreaterThan(0);
		expect(result.sqliteSeconds).toBeGreaterThan(0);
		expect(rows(database)).toEqual(rows(path.join(source, 'data', 'gateway.db')));
	});

	it('dry run: reads both sides and changes nothing', async () => {
		const database = populated('dry-run');
		const before = rows(database);
		const {stdout} = await run(process.execPath, [floorScript, 'dry-run', backup, database]);
		expect((JSON.parse(stdout) as {rows: number}).rows).toBe(ROWS);
		expect(rows(database)).toEqual(before);
	});

	it('is refused without its arguments, with exit 2', async () => {
		const failed = await run(process.execPath, [floorScript, 'replace', backup]).catch((error: {code: number; stderr: string}) => error);
		expect(failed).toMatchObject({code: 2, stderr: 'usage: restore-floor.js dry-run|replace <backup.zip> <gateway.db>\n'});
	});

	it('is shown in the restore rows as the floor and its two parts, beside the earlier figure', () => {
		expect(restoreBaseline({rows: 1, seconds: 9, peakRssKb: 1, floor: {seconds: 6.5, archiveSeconds: 2.25, sqliteSeconds: 3.75}}, '~15 s before', 'UPDATE by id')).toBe(
			'floor 6.50 s = archive rows inflated, hashed, parsed 2.25 s + SQLite UPDATE by id 3.75 s + start; ~15 s before',
		);
		expect(restoreBaseline({rows: 1, seconds: 9, peakRssKb: 1}, '7.4 s before', 'read in id order')).toBe('7.4 s before');
	});
});
