/**
 * A gateway database that is damaged, locked by another process, or on a full disk gets its own
 * documented exit code and one clear line from backup create and restore, never "internal error"
 * or "not a gateway"; and the store is left as it was.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {busyTimeoutMs} from '../source/core/store/gateway-store.js';
import {describeStoreError, storeIoFailure} from '../source/core/errors.js';
import {describeError} from '../source/ui/describe-error.js';
import {runCli, type CliResult} from './helpers/run-cli.js';
import {cliUnderLimit} from './helpers/file-size-limit.js';
import {canDropPrivileges, runAsUser} from './helpers/as-user.js';
import {tempDir} from './helpers/temp-dir.js';
import {copyGateway, demoGateway, exec, openDb, storeDigest, walkFiles} from './restore-support.js';

const SQLITE_MODULE = createRequire(import.meta.url).resolve('better-sqlite3');

function expectOneLineError(result: CliResult, code: number, pattern: RegExp): void {
	expect(result.code).toBe(code);
	const lines = result.stderr.trim().split('\n');
	expect(lines).toHaveLength(1);
	expect(lines[0]).toMatch(pattern);
}

const databaseOf = (dataDir: string) => path.join(dataDir, 'data', 'gateway.db');

/** Overwrites the root page of `table`'s b-tree with garbage, as a bad disk sector would. */
function damageTable(dataDir: string, table: string): void {
	const db = openDb(dataDir, false);
	db.pragma('wal_checkpoint(TRUNCATE)');
	const {rootpage} = db.prepare(`SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) as {rootpage: number};
	const pageSize = db.pragma('page_size', {simple: true}) as number;
	db.close();
	const fd = fs.openSync(databaseOf(dataDir), 'r+');
	fs.writeSync(fd, Buffer.alloc(pageSize, 0xee), 0, pageSize, (rootpage - 1) * pageSize);
	fs.closeSync(fd);
}

let original: string;
let zip: string;
beforeAll(async () => {
	original = await demoGateway({tenants: 2, seed: 52});
	zip = (await createBackup({dataDir: original, destDir: tempDir(), name: 'full', format: 'zip'})).path;
});

describe('a damaged gateway database: exit 3, "the gateway database is damaged"', () => {
	const DAMAGED = /^lifeboat: the gateway database is damaged \(database disk image is malformed\); nothing was changed/;
	// Damage surfaces mid-dump and mid-plan, table by table, not when the database is opened.
	for (const table of ['users', 'messages', 'memory_entries', 'documents', 'audit_log']) {
		it(`pages of ${table} damaged: backup create and restore say so, leave nothing`, () => {
			const dataDir = copyGateway(original);
			damageTable(dataDir, table);
			const dest = tempDir();
			expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest]), 3, DAMAGED);
			expect(fs.readdirSync(dest)).toEqual([]);
			const json = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--json']);
			expect(JSON.parse(json.stdout).error.code).toBe('gateway-damaged');
			expectOneLineError(runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--dry-run']), 3, DAMAGED);
			expectOneLineError(runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir]), 3, DAMAGED);
			expect(fs.existsSync(path.join(dataDir, '.lifeboat-restore'))).toBe(false);
			expect(fs.existsSync(path.join(dataDir, 'quarantine'))).toBe(false);
		});
	}

	it('a gateway.db whose header is garbage is damaged too ("file is not a database")', () => {
		const dataDir = copyGateway(original);
		const fd = fs.openSync(databaseOf(dataDir), 'r+');
		fs.writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
		fs.closeSync(fd);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', tempDir()]), 3, /^lifeboat: the gateway database is damaged \(file is not a database\)/);
		expectOneLineError(runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir]), 3, /^lifeboat: the gateway database is damaged \(file is not a database\)/);
	});
});

describe('a gateway database locked by another process: exit 9, "locked", after the busy timeout', () => {
	let holder: ChildProcess | undefined;
	afterEach(() => {
		holder?.kill('SIGKILL');
		holder = undefined;
	});

	/** Another process takes an exclusive lock on the database and keeps it until killed. */
	async function holdLock(dataDir: string, how: 'wal-exclusive-mode' | 'rollback-journal'): Promise<number> {
		const take = how === 'wal-exclusive-mode' ? `db.pragma('locking_mode = EXCLUSIVE'); db.exec('BEGIN EXCLUSIVE; COMMIT');` : `db.exec('BEGIN EXCLUSIVE');`;
		const code = `const Database = require(${JSON.stringify(SQLITE_MODULE)}); const db = new Database(${JSON.stringify(databaseOf(dataDir))}); ${take} process.stdout.write('held\\n'); setInterval(() => {}, 1000);`;
		holder = spawn(process.execPath, ['-e', code], {stdio: ['ignore', 'pipe', 'inherit']});
		await new Promise<void>((resolve, reject) => {
			holder!.stdout!.once('data', () => resolve());
			holder!.once('exit', code => reject(new Error(`lock holder exited with ${code}`)));
		});
		return holder.pid!;
	}

	const env = {LIFEBOAT_BUSY_TIMEOUT_MS: '150'};
	for (const how of ['wal-exclusive-mode', 'rollback-journal'] as const) {
		it(`held in ${how}: backup create and restore exit 9 naming the holder; nothing changes`, async () => {
			const dataDir = copyGateway(original);
			if (how === 'rollback-journal') {
				const db = openDb(dataDir, false);
				db.pragma('journal_mode = DELETE');
				db.close();
			}
			const before = storeDigest(dataDir);
			const pid = await holdLock(dataDir, how);
			const message = `lifeboat: the gateway database is locked by another process (PID ${pid} holds a write lock); stop the gateway or retry`;
			const dest = tempDir();
			const started = Date.now();
			const backup = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest], {env});
			expect(Date.now() - started).toBeGreaterThanOrEqual(150);
			expect(backup.code).toBe(9);
			expect(backup.stderr).toBe(`${message}\n`);
			expect(fs.readdirSync(dest)).toEqual([]);
			const json = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--json'], {env});
			expect(JSON.parse(json.stdout)).toEqual({ok: false, error: {code: 'gateway-locked', message: message.slice('lifeboat: '.length)}});
			for (const extra of [['--dry-run'], [], ['--mode', 'replace', '--yes']]) {
				const restore = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, ...extra], {env});
				expect(restore.code).toBe(9);
				expect(restore.stderr).toBe(`${message}\n`);
			}
			holder!.kill('SIGKILL');
			await new Promise(resolve => holder!.once('exit', resolve));
			expect(storeDigest(dataDir)).toEqual(before);
			// Once the lock is gone, both work.
			expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--categories', 'tools'], {env}).code).toBe(0);
		});
	}

	it('the default busy timeout stays sensible; the variable only overrides it when valid', () => {
		expect(busyTimeoutMs({})).toBe(5000);
		expect(busyTimeoutMs({LIFEBOAT_BUSY_TIMEOUT_MS: '250'})).toBe(250);
		expect(busyTimeoutMs({LIFEBOAT_BUSY_TIMEOUT_MS: 'soon'})).toBe(5000);
		expect(busyTimeoutMs({LIFEBOAT_BUSY_TIMEOUT_MS: '-1'})).toBe(5000);
	});
});

describe('a full disk on the data dir during restore', () => {
	it('exits 4 "no space left on device" and leaves the store unchanged', () => {
		const mount = path.join(tempDir(), 'small');
		fs.mkdirSync(mount);
		const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
		if (mounted.status !== 0) {
			console.warn(`skipping restore ENOSPC test: cannot mount a tmpfs here (${mounted.stderr.toString().trim()})`);
			return;
		}
		try {
			const dataDir = path.join(mount, 'gateway');
			fs.cpSync(copyGateway(original), dataDir, {recursive: true});
			// The restore has work to do: documents, memory and messages come back from the backup.
			exec(dataDir, 'DELETE FROM documents');
			exec(dataDir, 'DELETE FROM memory_entries');
			exec(dataDir, 'DELETE FROM messages');
			fs.rmSync(path.join(dataDir, 'documents'), {recursive: true});
			const before = storeDigest(dataDir);
			const filesBefore = walkFiles(mount);
			// Leave 32 KiB free.
			const stats = fs.statfsSync(mount);
			fs.writeFileSync(path.join(mount, 'filler'), Buffer.alloc(Math.max(0, stats.bavail * stats.bsize - 32 * 1024)));
			const result = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir]);
			expectOneLineError(result, 4, /^lifeboat: .*no space left on device/);
			fs.rmSync(path.join(mount, 'filler'));
			expect(storeDigest(dataDir)).toEqual(before);
			expect(walkFiles(mount).filter(file => !file.startsWith('gateway/data/gateway.db'))).toEqual(filesBefore.filter(file => !file.startsWith('gateway/data/gateway.db')));
			// With space again, the same restore succeeds.
			expect(runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir]).code).toBe(0);
		} finally {
			spawnSync('umount', [mount]);
		}
	});
});

describe('a file size limit on the data dir during restore (ulimit -f, SQLite: disk I/O error)', () => {
	it('exits 4 naming the gateway database and the limit, whatever file reaches it first, and leaves the store unchanged', () => {
		const dataDir = copyGateway(original);
		// The restore has rows to write: SQLite's WAL and shared-memory files grow under the limit.
		exec(dataDir, 'DELETE FROM memory_entries');
		exec(dataDir, 'DELETE FROM messages');
		const before = storeDigest(dataDir);
		const messages: string[] = [];
		for (const limit of [16 * 1024, 64 * 1024, 128 * 1024, 256 * 1024]) {
			const result = cliUnderLimit(limit, ['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--mode', 'replace', '--yes']);
			expectOneLineError(result, 4, /^lifeboat: (Restoring into .*: )?(the gateway database \(or SQLite's temporary files\) could not be written \(disk I\/O error, SQLITE_IOERR\w*\): a full disk, the file size limit \(ulimit -f\), or a failing disk or file system|The gateway database could not be written \(disk I\/O error, SQLITE_IOERR\w*\).*|file too large .*)(; nothing was restored)?$/);
			messages.push(result.stderr);
			expect(storeDigest(dataDir)).toEqual(before);
		}
		// SQLite's own failure was among them (not only the staged files' EFBIG).
		expect(messages.some(message => /disk I\/O error, SQLITE_IOERR/.test(message))).toBe(true);
		expect(runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--mode', 'replace', '--yes']).code).toBe(0);
	});
});

describe('SQLite failing to read or write its files', () => {
	it('is the disk for a write, a damaged gateway for a read, a lock or anything else, and not said of other errors', () => {
		for (const write of ['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_IOERR_SHMSIZE', 'SQLITE_IOERR_TRUNCATE']) expect(storeIoFailure(write)?.code).toBe('disk-full');
		expect(storeIoFailure('SQLITE_FULL')?.reason).toBe('could not be written: no space left on device');
		expect(storeIoFailure('SQLITE_IOERR_READ')).toEqual({code: 'gateway-damaged', reason: 'could not be read (disk I/O error, SQLITE_IOERR_READ): a failing disk or file system'});
		expect(storeIoFailure('SQLITE_IOERR_SHORT_READ')?.code).toBe('gateway-damaged');
		// Locking and shared memory are the file system's: not "could not be written", not "a full disk".
		for (const lock of ['SQLITE_IOERR_LOCK', 'SQLITE_IOERR_SHMLOCK', 'SQLITE_IOERR_SHMMAP', 'SQLITE_IOERR_MMAP']) {
			expect(storeIoFailure(lock)?.code).toBe('gateway-damaged');
			expect(storeIoFailure(lock)?.reason).toMatch(/^could not be locked or shared \(disk I\/O error, SQLITE_IOERR_\w+\): its file system lacks the file locking or shared memory SQLite needs/);
		}
		expect(storeIoFailure('SQLITE_IOERR_FSTAT')).toEqual({code: 'gateway-damaged', reason: 'could not be used (disk I/O error, SQLITE_IOERR_FSTAT): a failing disk or file system'});
		// SQLite says "readonly" too when code writes through a read-only connection: a bug, left as one.
		for (const other of ['SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_BUSY', 'SQLITE_CORRUPT', 'SQLITE_ERROR', 'SQLITE_CANTOPEN']) expect(storeIoFailure(other)).toBeUndefined();
		const mapped = describeStoreError(Object.assign(new Error('disk I/O error'), {code: 'SQLITE_IOERR_WRITE'}));
		expect(mapped?.exitCode).toBe(4);
		expect(mapped?.message).toBe("A database (the gateway's, or a scratch one in a temporary folder) could not be written (disk I/O error, SQLITE_IOERR_WRITE): a full disk, the file size limit (ulimit -f), or a failing disk or file system");
		expect(describeStoreError(Object.assign(new Error('disk I/O error'), {code: 'SQLITE_IOERR_LOCK'}))?.exitCode).toBe(3);
	});

	it('is said by the console as the CLI says it, not as an internal error', () => {
		expect(describeError(Object.assign(new Error('disk I/O error'), {code: 'SQLITE_IOERR_WRITE'}))).toBe("A database (the gateway's, or a scratch one in a temporary folder) could not be written (disk I/O error, SQLITE_IOERR_WRITE): a full disk, the file size limit (ulimit -f), or a failing disk or file system");
		expect(describeError(new Error('boom'))).toBe('internal error: boom');
	});
});

describe('a gateway on a read-only mount (a snapshot) without its -wal and -shm files', () => {
	it('exits 3 saying the folder is not writable and what SQLite needs there, not "not a gateway data directory"', context => {
		const source = copyGateway(original);
		exec(source, 'PRAGMA wal_checkpoint(TRUNCATE)');
		for (const name of fs.readdirSync(path.join(source, 'data'))) if (name !== 'gateway.db') fs.rmSync(path.join(source, 'data', name));
		const mount = path.join(tempDir(), 'snapshot');
		fs.mkdirSync(mount);
		const bound = spawnSync('mount', ['--bind', source, mount]);
		if (bound.status !== 0) {
			context.skip(`cannot bind-mount here (${bound.stderr.toString().trim()})`);
			return;
		}
		try {
			const remounted = spawnSync('mount', ['-o', 'remount,ro,bind', mount]);
			if (remounted.status !== 0) {
				context.skip(`cannot remount read-only here (${remounted.stderr.toString().trim()})`);
				return;
			}
			const expected = `lifeboat: ${mount}: the gateway database cannot be opened where it is: its folder ${path.join(mount, 'data')} is not writable by this user (a read-only mount or snapshot, or another user's folder), and SQLite needs to create gateway.db-wal and gateway.db-shm beside it; copy the data directory somewhere writable, or run as its owner`;
			for (const args of [['backup', 'create', '--data-dir', mount, '--out', path.join(tempDir(), 'snapshot.zip')], ['backup', 'restore', '--in', zip, '--data-dir', mount, '--dry-run']]) {
				const result = runCli(args);
				expectOneLineError(result, 3, /^lifeboat: /);
				expect(result.stderr.trim()).toBe(expected);
			}
		} finally {
			if (spawnSync('umount', [mount]).status !== 0) spawnSync('umount', ['-l', mount]);
		}
	});
});

describe('a restore into a gateway whose database file is read-only (0444, the user its owner)', () => {
	it.skipIf(!canDropPrivileges || process.getuid?.() !== 0)('exits 4 saying the database is read-only, and changes nothing', () => {
		const shared = tempDir('lifeboat-read-only-db-');
		fs.chmodSync(shared, 0o755);
		const dataDir = path.join(shared, 'gateway');
		fs.cpSync(copyGateway(original), dataDir, {recursive: true});
		exec(dataDir, 'DELETE FROM memory_entries');
		exec(dataDir, 'PRAGMA wal_checkpoint(TRUNCATE)');
		const readable = path.join(shared, 'full.zip');
		fs.copyFileSync(zip, readable);
		fs.chmodSync(readable, 0o644);
		expect(spawnSync('chown', ['-R', '65534:65534', dataDir]).status).toBe(0);
		fs.chmodSync(databaseOf(dataDir), 0o444);
		const before = storeDigest(dataDir);
		const result = runAsUser(['backup', 'restore', '--in', readable, '--data-dir', dataDir, '--mode', 'replace', '--yes']);
		expectOneLineError(result, 4, /^lifeboat: Restoring into .*: the gateway database \(or SQLite's temporary files\) could not be written \(SQLITE_READONLY\w*\): it or its folder is read-only \(its permissions, or a read-only mount\); nothing was restored$/);
		expect(storeDigest(dataDir)).toEqual(before);
	}, 60_000);
});
