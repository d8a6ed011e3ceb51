/**
 * Scratch folders (under LIFEBOAT_TMPDIR, else the system temp folder) that cannot be written, here
 * past a file size limit (prlimit --fsize: a write past it fails with EFBIG, as a full disk fails
 * with ENOSPC): converting an ATLAS export and merging an incremental chain exit 4 with one line
 * naming what was being done and where scratch folders go (never "internal error", never "the
 * gateway database"), change nothing and leave no scratch folder behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {cliUnderLimit} from './helpers/file-size-limit.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {copyGateway, demoGateway, exec, query, storeDigest} from './restore-support.js';

let original: string;
beforeAll(async () => {
	original = await demoGateway({tenants: 2, seed: 61});
});

/** An ATLAS export of `conversations` conversations of 40 messages, ~200 KB each. */
function atlasExport(dir: string, conversations: number): string {
	const file = path.join(dir, 'atlas-backup-20251221-101500.json');
	const list = Array.from({length: conversations}, (_, index) => ({
		id: `conv-${index}`,
		title: `Conversation ${index}`,
		messages: Array.from({length: 40}, (_, at) => ({role: at % 2 ? 'assistant' : 'user', content: `${'words '.repeat(800)}${index}/${at}`})),
	}));
	fs.writeFileSync(file, JSON.stringify({exported_at: '2025-12-21T10:15:00Z', personas: [{name: 'Helper', content: 'be kind'}], conversations: list}));
	return file;
}

describe('an ATLAS export converted in a scratch folder that cannot be written', () => {
	it('exits 4 naming the conversion and the scratch folder, imports nothing and leaves no folder', () => {
		const dataDir = copyGateway(original);
		const [{slug, email}] = query<{slug: string; email: string}>(dataDir, 'SELECT t.slug, u.email FROM users u JOIN tenants t ON t.id = u.tenant_id ORDER BY t.slug, u.email LIMIT 1');
		const file = atlasExport(tempDir(), 10);
		const scratch = tempDir();
		const before = storeDigest(dataDir);
		const args = ['backup', 'restore', '--in', file, '--data-dir', dataDir, '--into-tenant', slug!, '--as-user', email!];
		for (const limit of [64 * 1024, 1024 * 1024]) {
			const result = cliUnderLimit(limit, args, {LIFEBOAT_TMPDIR: scratch});
			expectOneLineError(result, 4, /^lifeboat: /);
			expect(result.stderr.trim()).toBe(`lifeboat: Converting ${file} in a scratch folder (under LIFEBOAT_TMPDIR, else the system temp folder): file too large (past the file system's largest file or the file size limit, ulimit -f)`);
			expect(storeDigest(dataDir)).toEqual(before);
			expect(fs.readdirSync(scratch)).toEqual([]);
		}
		// Without the limit the same import succeeds.
		expect(runCli(args, {env: {LIFEBOAT_TMPDIR: scratch}}).code).toBe(0);
		expect(query<{n: number}>(dataDir, "SELECT COUNT(*) AS n FROM conversations WHERE title LIKE 'Conversation %'")[0]!.n).toBe(10);
	});

	it("removes a killed import's scratch folder (its process is gone) on the next import, and no other", () => {
		const dataDir = copyGateway(original);
		const [{slug, email}] = query<{slug: string; email: string}>(dataDir, 'SELECT t.slug, u.email FROM users u JOIN tenants t ON t.id = u.tenant_id ORDER BY t.slug, u.email LIMIT 1');
		const scratch = tempDir();
		// A pid no process has: Linux pids stay below 2^22.
		const stale = path.join(scratch, 'lifeboat-atlas-4194305-abcDEF');
		const running = path.join(scratch, `lifeboat-atlas-${process.pid}-abcDEF`);
		const other = path.join(scratch, 'lifeboat-atlas-notes');
		// Private folders, as makePidScratch makes them (a folder anyone else could have made is never swept).
		for (const dir of [stale, running, other]) fs.mkdirSync(dir, {mode: 0o700});
		fs.writeFileSync(path.join(stale, 'messages.jsonl'), '{}\n');
		const result = runCli(['backup', 'restore', '--in', atlasExport(tempDir(), 1), '--data-dir', dataDir, '--into-tenant', slug!, '--as-user', email!], {env: {LIFEBOAT_TMPDIR: scratch}});
		expect(result.code).toBe(0);
		expect(fs.readdirSync(scratch).sort()).toEqual([path.basename(running), path.basename(other)].sort());
	});
});

describe('an incremental chain merged in a scratch folder that cannot be written', () => {
	it('exits 4 naming the merge and the scratch folder, for verify and restore, and changes nothing', () => {
		const dataDir = copyGateway(original);
		const dest = tempDir();
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'full']).code).toBe(0);
		exec(dataDir, "UPDATE memory_entries SET content = content || ' (edited)'");
		const created = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'incremental', '--incremental', '--since-last', '--json']);
		expect(created.code).toBe(0);
		const incremental = (JSON.parse(created.stdout) as {path: string}).path;
		const target = copyGateway(original);
		const before = storeDigest(target);
		const scratch = tempDir();
		const seen = new Set<string>();
		for (const limit of [16 * 1024, 256 * 1024]) {
			for (const args of [['backup', 'verify', incremental], ['backup', 'restore', '--in', incremental, '--data-dir', target, '--mode', 'replace', '--yes']]) {
				const result = cliUnderLimit(limit, args, {LIFEBOAT_TMPDIR: scratch});
				expectOneLineError(result, 4, /^lifeboat: /);
				const line = result.stderr.trim();
				expect(line).toMatch(new RegExp(`^lifeboat: Merging the incremental chain of ${incremental.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(: a scratch database)? in a scratch folder \\(under LIFEBOAT_TMPDIR, else the system temp folder\\)(: file too large \\(past the file system's largest file or the file size limit, ulimit -f\\)|, or in SQLite's temporary files \\(under SQLITE_TMPDIR or TMPDIR, else /var/tmp or /tmp\\), could not be written \\(disk I/O error, SQLITE_IOERR_\\w+\\): a full disk, the file size limit \\(ulimit -f\\), or a failing disk or file system)$`));
				seen.add(line.includes('scratch database') ? 'sqlite' : 'file');
				expect(storeDigest(target)).toEqual(before);
				expect(fs.readdirSync(scratch)).toEqual([]);
			}
		}
		// The merge's scratch database was among them (the files' EFBIG is the ATLAS conversion's above).
		expect(seen.has('sqlite')).toBe(true);
		expect(runCli(['backup', 'verify', incremental], {env: {LIFEBOAT_TMPDIR: scratch}}).code).toBe(0);
	});
});

describe('a drill with no room for its scratch gateway', () => {
	it('stops with exit 4 and blames no check: nothing recorded as a failed drill, no scratch folder left', () => {
		const dataDir = copyGateway(original);
		const dest = tempDir();
		const created = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'full', '--json']);
		expect(created.code).toBe(0);
		const backup = (JSON.parse(created.stdout) as {path: string}).path;
		const config = tempDir();
		const scratch = tempDir();
		const messages: string[] = [];
		for (const limit of [256 * 1024, 1024 * 1024]) {
			const result = cliUnderLimit(limit, ['drill', '--in', backup, '--json'], {LIFEBOAT_CONFIG_DIR: config, LIFEBOAT_TMPDIR: scratch, TMPDIR: scratch});
			expect(result.code).toBe(4);
			const {message} = (JSON.parse(result.stdout) as {error: {message: string}}).error;
			expect(message).toMatch(/could not be written|file too large|no space left/);
			messages.push(message);
			expect(fs.existsSync(path.join(config, 'drills.jsonl'))).toBe(false);
			expect(fs.readdirSync(scratch)).toEqual([]);
		}
		// One of them failed inside the restore check (the scratch gateway's restore), not before the checks ran.
		expect(messages.some(message => message.startsWith('Restoring into '))).toBe(true);
		expect(runCli(['drill', '--in', backup, '--json'], {env: {LIFEBOAT_CONFIG_DIR: config, LIFEBOAT_TMPDIR: scratch, TMPDIR: scratch}}).code).toBe(0);
	});
});

describe('a restore onto a bare host with no room for the new gateway', () => {
	it('exits 4 saying it restored nothing into the data dir, which stays absent', () => {
		const zip = path.join(tempDir(), 'full.zip');
		expect(runCli(['backup', 'create', '--data-dir', original, '--out', zip]).code).toBe(0);
		const parent = tempDir();
		const dataDir = path.join(parent, 'gateway');
		const lines = new Set<string>();
		for (const limit of [64 * 1024, 512 * 1024]) {
			const result = cliUnderLimit(limit, ['backup', 'restore', '--in', zip, '--data-dir', dataDir], {LIFEBOAT_TMPDIR: tempDir()});
			expectOneLineError(result, 4, /^lifeboat: /);
			const line = result.stderr.trim();
			expect(line).toMatch(new RegExp(`^lifeboat: Restoring into ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b.*: (the gateway database \\(or SQLite's temporary files\\) could not be written \\(disk I/O error, SQLITE_IOERR_\\w+\\): a full disk, the file size limit \\(ulimit -f\\), or a failing disk or file system|file too large .*); nothing was restored$`));
			lines.add(line.includes('SQLITE_IOERR') ? 'sqlite' : 'file');
			expect(fs.readdirSync(parent)).toEqual([]);
		}
		expect(lines.has('sqlite')).toBe(true);
	});
});
