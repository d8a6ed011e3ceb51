import {execFileSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {beforeAll, describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {createBackup, type ReplacedBackup} from '../source/core/backup/create-backup.js';
import {listBackups} from '../source/core/backup/list-backups.js';
import {readMetadata} from '../source/core/backup/read-metadata.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {openLocalDestination} from '../source/core/destinations/local.js';
import {createGateway} from '../source/core/store/gateway-store.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

function count(dataDir: string, sql: string, ...params: unknown[]): number {
	const db = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true});
	try {
		return (db.prepare(sql).get(...params) as {n: number}).n;
	} finally {
		db.close();
	}
}

describe('backup create', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 3, scale: 'small', seed: 11});
	});

	it('cancelled before it starts (an Esc while it waited): refused as interrupted, nothing written at the destination', async () => {
		const dest = tempDir();
		const cancel = new AbortController();
		cancel.abort();
		await expect(createBackup({dataDir, destDir: dest, name: 'never', signal: cancel.signal})).rejects.toMatchObject({code: 'interrupted'});
		expect(fs.readdirSync(dest)).toEqual([]);
	});

	for (const format of ['zip', 'tar.gz', 'dir'] as const) {
		it(`writes a ${format} backup that verifies, with counts equal to the store`, async () => {
			const dest = tempDir();
			const result = await createBackup({dataDir, destDir: dest, format, now: new Date('2026-03-04T05:06:07Z')});
			expect(path.basename(result.path)).toBe(`lifeboat-backup-20260304-050607${format === 'dir' ? '' : '.' + format}`);
			expect(fs.readdirSync(dest)).toEqual([path.basename(result.path)]);
			const verified = await verifyBackup(plainFileSource(result.path));
			expect(verified.problems).toEqual([]);
			expect(verified.ok).toBe(true);
			const metadata = await readMetadata(plainFileSource(result.path));
			expect(metadata.counts['memory']!.count).toBe(count(dataDir, 'SELECT COUNT(*) n FROM memory_entries'));
			expect(metadata.counts['chats']!.tables['messages']).toBe(count(dataDir, 'SELECT COUNT(*) n FROM messages'));
			expect(metadata.counts['documents']!.count).toBe(count(dataDir, 'SELECT COUNT(*) n FROM documents'));
			expect(metadata.tenants).toHaveLength(3);
			expect(metadata.categories).toHaveLength(18);
		});
	}

	it('backs up a freshly installed gateway whose tables are all empty', async () => {
		const empty = path.join(tempDir(), 'fresh');
		createGateway(empty).close();
		fs.writeFileSync(path.join(empty, 'appsettings.json'), '{}\n');
		for (const format of ['zip', 'tar.gz', 'dir'] as const) {
			const result = await createBackup({dataDir: empty, destDir: tempDir(), format});
			expect(result.metadata.counts['memory']!.count).toBe(0);
			expect((await verifyBackup(plainFileSource(result.path))).problems).toEqual([]);
		}
	});

	it('produces archives the standard tools accept, with images stored uncompressed', async () => {
		const dest = tempDir();
		const zip = await createBackup({dataDir, destDir: dest, format: 'zip'});
		expect(execFileSync('unzip', ['-t', zip.path]).toString()).toContain('No errors detected');
		const listing = execFileSync('unzip', ['-v', zip.path]).toString();
		const pngLine = listing.split('\n').find(line => line.endsWith('.png'));
		expect(pngLine).toMatch(/\bStored\b/);
		const mdLine = listing.split('\n').find(line => line.endsWith('SOUL.md'));
		expect(mdLine).toMatch(/\bDefl/);
		const tar = await createBackup({dataDir, destDir: dest, format: 'tar.gz'});
		const names = execFileSync('tar', ['-tzf', tar.path]).toString().trim().split('\n');
		expect(names[0]).toBe('metadata.json');
		expect(names.at(-1)).toBe('manifest.json');
	});

	it('stores a document file whose sample does not shrink, deflates one that does, full or incremental', async () => {
		const gateway = path.join(tempDir(), 'gateway');
		fs.cpSync(dataDir, gateway, {recursive: true});
		const files = path.join(gateway, 'documents', 'files');
		const [random, text, later] = fs.readdirSync(files).filter(name => name.endsWith('.md')).sort();
		fs.writeFileSync(path.join(files, random!), crypto.randomBytes(100_000));
		fs.writeFileSync(path.join(files, text!), 'a line of log text, much like the one before it\n'.repeat(2000));
		const dest = tempDir();
		const methodOf = (archive: string, name: string) => execFileSync('unzip', ['-v', archive]).toString().split('\n').find(line => line.endsWith(name))?.trim().split(/\s+/)[1];
		const full = await createBackup({dataDir: gateway, destDir: dest, name: 'full', format: 'zip'});
		expect([methodOf(full.path, random!), methodOf(full.path, text!)]).toEqual(['Stored', 'Defl:N']);
		// The incremental samples the files it writes (only the changed one), when it writes them.
		fs.writeFileSync(path.join(files, later!), crypto.randomBytes(70_000));
		const incremental = await createBackup({dataDir: gateway, destDir: dest, name: 'next', format: 'zip', incremental: {destination: openLocalDestination(dest), sinceLast: true}});
		expect([methodOf(incremental.path, later!), methodOf(incremental.path, random!)]).toEqual(['Stored', undefined]);
		// No agent file changed: their staged copies' digests (taken as they were written) match the base's.
		expect(execFileSync('unzip', ['-Z1', incremental.path]).toString().split('\n').filter(name => /^agents\/[^/]+\//.test(name))).toEqual([]);
	});

	it('scopes a backup to one tenant and to chosen categories', async () => {
		const tenant = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true}).prepare('SELECT id, slug FROM tenants ORDER BY slug LIMIT 1').get() as {id: string; slug: string};
		const result = await createBackup({dataDir, destDir: tempDir(), format: 'dir', tenant: tenant.slug, categories: ['memory', 'workflows']});
		expect(result.metadata.tenant?.slug).toBe(tenant.slug);
		expect(result.metadata.categories).toEqual(['workflows', 'memory']);
		const entries = fs.readFileSync(path.join(result.path, 'memory', 'entries.jsonl'), 'utf8').trim().split('\n');
		expect(entries.length).toBe(count(dataDir, 'SELECT COUNT(*) n FROM memory_entries WHERE tenant_id = ?', tenant.id));
		expect(entries.every(line => JSON.parse(line).tenant_id === tenant.id)).toBe(true);
		expect(fs.existsSync(path.join(result.path, 'users'))).toBe(false);
		expect(fs.existsSync(path.join(result.path, 'documents'))).toBe(false);
	});

	it('is a consistent snapshot while the gateway keeps writing', async () => {
		// A writer inserts memory rows in a loop on another connection while the backup runs.
		const writer = new Database(path.join(dataDir, 'data', 'gateway.db'));
		// An agent of the same tenant: a cross-tenant reference is refused (no restore would accept it).
		const {id: agentId, tenant_id: tenantId} = writer.prepare('SELECT id, tenant_id FROM agents LIMIT 1').get() as {id: string; tenant_id: string};
		let n = 0;
		const timer = setInterval(() => {
			const now = new Date().toISOString();
			writer.prepare('INSERT INTO memory_entries VALUES (?,?,?,?,?,?,?,?,?)').run(`mem_live${n++}`, tenantId, now, now, agentId, 'fact', 'written during backup', 0.5, '[]');
		}, 1);
		try {
			const result = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
			const lines = fs.readFileSync(path.join(result.path, 'memory', 'entries.jsonl'), 'utf8').trim().split('\n').length;
			expect(lines).toBe(result.metadata.counts['memory']!.tables['memory_entries']);
			expect((await verifyBackup(plainFileSource(result.path))).ok).toBe(true);
		} finally {
			clearInterval(timer);
			writer.close();
		}
		expect(n).toBeGreaterThan(0);
	});

	it('lists backups newest first from their metadata, skipping in-progress scratch folders', async () => {
		const dest = tempDir();
		await createBackup({dataDir, destDir: dest, format: 'zip', now: new Date('2026-01-01T00:00:00Z')});
		await createBackup({dataDir, destDir: dest, format: 'tar.gz', now: new Date('2026-02-01T00:00:00Z')});
		await createBackup({dataDir, destDir: dest, format: 'dir', now: new Date('2026-03-01T00:00:00Z')});
		fs.mkdirSync(path.join(dest, '.lifeboat-partial-999999-x'));
		fs.writeFileSync(path.join(dest, 'notes.txt'), 'not a backup');
		fs.writeFileSync(path.join(dest, 'broken.zip'), 'not really a zip');
		const listed = await listBackups(dest);
		const readable = listed.filter(backup => backup.metadata);
		expect(readable.map(backup => backup.format)).toEqual(['dir', 'tar.gz', 'zip']);
		// An unreadable archive is still listed (so it can be inspected), with the reason.
		expect(listed.find(backup => backup.fileName === 'broken.zip')?.error).toMatch(/not a Lifeboat backup \(neither zip, tar.gz, tar.zst, JSON bundle, encrypted backup nor folder\)/);
		expect(listed).toHaveLength(4);
		const json = runCli(['backup', 'list', '--dest', dest, '--json']);
		expect(json.code).toBe(0);
		const parsed = (JSON.parse(json.stdout) as {ok: true; backups: Array<{name: string; counts?: Record<string, number>}>}).backups;
		expect(parsed.find(backup => backup.counts)?.counts?.['memory']).toBeGreaterThan(0);
	});

	it('a default name already taken (two runs in one second) gets -2, -3…, and --force never replaces the earlier backup', async () => {
		const dest = tempDir();
		const now = new Date('2026-05-05T05:05:05Z');
		const first = await createBackup({dataDir, destDir: dest, format: 'zip', now});
		const second = await createBackup({dataDir, destDir: dest, format: 'zip', now, force: true});
		const third = await createBackup({dataDir, destDir: dest, format: 'zip', now});
		expect([first, second, third].map(result => path.basename(result.path))).toEqual(['lifeboat-backup-20260505-050505.zip', 'lifeboat-backup-20260505-050505-2.zip', 'lifeboat-backup-20260505-050505-3.zip']);
		expect([first, second, third].map(result => result.metadata.name)).toEqual(['lifeboat-backup-20260505-050505', 'lifeboat-backup-20260505-050505-2', 'lifeboat-backup-20260505-050505-3']);
		expect(new Set([first, second, third].map(result => result.metadata.id)).size).toBe(3);
		await expect(readMetadata(plainFileSource(first.path))).resolves.toMatchObject({id: first.metadata.id});
		// Through a destination (the remote path): the same numbering.
		const remote = await createBackup({dataDir, remote: {destination: openLocalDestination(dest)}, format: 'zip', now});
		expect(remote.name).toBe('lifeboat-backup-20260505-050505-4');
		// An explicit --name is the operator's: taken means refused, or replaced with --force.
		await expect(createBackup({dataDir, destDir: dest, format: 'zip', now, name: 'lifeboat-backup-20260505-050505'})).rejects.toThrow(/already exists \(pass --force to replace it\)$/);
		const replaced = await createBackup({dataDir, destDir: dest, format: 'zip', now, name: 'lifeboat-backup-20260505-050505', force: true});
		expect(path.basename(replaced.path)).toBe('lifeboat-backup-20260505-050505.zip');
		expect(fs.readdirSync(dest).sort()).toEqual(['lifeboat-backup-20260505-050505-2.zip', 'lifeboat-backup-20260505-050505-3.zip', 'lifeboat-backup-20260505-050505-4.zip', 'lifeboat-backup-20260505-050505.zip']);
	});

	it('CLI: create --verify --json reports the archive and exits 0', () => {
		const dest = tempDir();
		const result = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--format', 'tar.gz', '--verify', '--json']);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const parsed = JSON.parse(result.stdout) as {ok: boolean; path: string; sha256: string; size: number; verify: {ok: boolean}};
		expect(parsed.ok).toBe(true);
		expect(parsed.verify.ok).toBe(true);
		expect(parsed.size).toBe(fs.statSync(parsed.path).size);
		const sha = execFileSync('sha256sum', [parsed.path]).toString().split(' ')[0];
		expect(parsed.sha256).toBe(sha);
	});

	it('CLI: --verify removes a backup whose own bytes fail (exit 5, said in --json as a failure is)', () => {
		const dest = tempDir();
		// Its bytes damaged right after it is published, before its verify reads it back.
		const env = {NODE_OPTIONS: `--require ${path.resolve('test/helpers/after-publish.cjs')}`, LIFEBOAT_TEST_ROT: 'rotten.zip'};
		const json = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'rotten', '--verify', '--json'], {env});
		expect(json.code, json.stderr).toBe(5);
		const answer = JSON.parse(json.stdout) as {ok: boolean; path: string; verify: {ok: boolean; problems: string[]; removed: boolean}; error: {code: string; message: string}};
		expect(answer).toMatchObject({ok: false, path: path.join(dest, 'rotten.zip'), verify: {ok: false, removed: true}, error: {code: 'corrupt-archive'}});
		expect(answer.verify.problems.length).toBeGreaterThan(0);
		expect(answer.error.message).toBe(`${answer.verify.problems[0]}; The backup was removed: a backup that does not verify is not kept`);
		expect(fs.readdirSync(dest)).toEqual([]);
		const text = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'rotten', '--verify'], {env});
		expect(text.code).toBe(5);
		expect(text.stdout).toMatch(/^Verify FAILED:\n {2}\S.*\nThe backup was removed: a backup that does not verify is not kept$/m);
		expect(fs.readdirSync(dest)).toEqual([]);
		// The same run without the damage keeps its backup.
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'sound', '--verify'], {env}).code).toBe(0);
		expect(fs.readdirSync(dest)).toEqual(['sound.zip']);
	});

	it('CLI: --force --verify puts the earlier backup back when the new one fails its verify', () => {
		const dest = tempDir();
		const env = {NODE_OPTIONS: `--require ${path.resolve('test/helpers/after-publish.cjs')}`, LIFEBOAT_TEST_ROT: 'rotten.zip'};
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'rotten', '--verify']).code).toBe(0);
		const earlier = fs.readFileSync(path.join(dest, 'rotten.zip'));
		const json = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'rotten', '--force', '--verify', '--json'], {env});
		expect(json.code, json.stderr).toBe(5);
		const answer = JSON.parse(json.stdout) as {verify: {removed: boolean; earlierPutBack: boolean}; error: {message: string}};
		expect(answer.verify).toMatchObject({removed: true, earlierPutBack: true});
		expect(answer.error.message).toMatch(/; The backup was removed: a backup that does not verify is not kept; the earlier backup of that name, which --force had replaced, is back in its place$/);
		// The earlier backup, byte for byte, under its name; no scratch folder left.
		expect(fs.readdirSync(dest)).toEqual(['rotten.zip']);
		expect(fs.readFileSync(path.join(dest, 'rotten.zip')).equals(earlier)).toBe(true);
		expect(fs.statSync(path.join(dest, 'rotten.zip')).mode & 0o777).toBe(0o600);
		expect(runCli(['backup', 'verify', path.join(dest, 'rotten.zip')]).code).toBe(0);
		// --out too, said in text.
		const text = runCli(['backup', 'create', '--data-dir', dataDir, '--out', path.join(dest, 'rotten.zip'), '--force', '--verify'], {env});
		expect(text.code).toBe(5);
		expect(text.stdout).toMatch(/^The backup was removed: a backup that does not verify is not kept; the earlier backup of that name, which --force had replaced, is back in its place$/m);
		expect(fs.readFileSync(path.join(dest, 'rotten.zip')).equals(earlier)).toBe(true);
		// A new one that verifies replaces it, and the earlier one is let go.
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'rotten', '--force', '--verify']).code).toBe(0);
		expect(fs.readdirSync(dest)).toEqual(['rotten.zip']);
		expect(fs.readFileSync(path.join(dest, 'rotten.zip')).equals(earlier)).toBe(false);
	});

	it('a folder backup replaced with --force is kept aside for the caller: put back once the new one is gone, never over another', async () => {
		const dest = tempDir();
		const first = await createBackup({dataDir, destDir: dest, name: 'tree', format: 'dir'});
		const idAt = () => (JSON.parse(fs.readFileSync(path.join(dest, 'tree', 'metadata.json'), 'utf8')) as {id: string}).id;
		let replaced: ReplacedBackup | undefined;
		const second = await createBackup({dataDir, destDir: dest, name: 'tree', format: 'dir', force: true, keepReplaced: kept => (replaced = kept)});
		expect(idAt()).toBe(second.metadata.id);
		// While it waits, its scratch folder holds the earlier backup only (no staging of the new one's data).
		const scratch = fs.readdirSync(dest).filter(name => name.startsWith('.lifeboat-partial-'));
		expect(scratch).toHaveLength(1);
		expect(fs.readdirSync(path.join(dest, scratch[0]!))).toEqual(['replaced']);
		// The new one removed (as a failed verify does): the earlier one takes the name again.
		fs.rmSync(path.join(dest, 'tree'), {recursive: true});
		expect(await replaced!.putBack()).toBe(true);
		expect(idAt()).toBe(first.metadata.id);
		expect(fs.readdirSync(dest)).toEqual(['tree']);
		expect(fs.statSync(path.join(dest, 'tree')).mode & 0o777).toBe(0o700);
		// The name taken again (the new one still there): nothing is put over it, and the earlier one is let go.
		replaced = undefined;
		const third = await createBackup({dataDir, destDir: dest, name: 'tree', format: 'dir', force: true, keepReplaced: kept => (replaced = kept)});
		expect(await replaced!.putBack()).toBe(false);
		expect(idAt()).toBe(third.metadata.id);
		expect(fs.readdirSync(dest)).toEqual(['tree']);
		// Without keepReplaced nothing is kept (the scratch folder goes with the write).
		await createBackup({dataDir, destDir: dest, name: 'tree', format: 'dir', force: true});
		expect(fs.readdirSync(dest)).toEqual(['tree']);
	});

	it('CLI: --verify that cannot read the backup back (EIO) leaves it where it is: exit 4, said as not verified', () => {
		const dest = tempDir();
		const env = {NODE_OPTIONS: `--require ${path.resolve('test/helpers/after-publish.cjs')}`, LIFEBOAT_TEST_UNREADABLE: 'eio.zip'};
		const json = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'eio', '--verify', '--json'], {env});
		expect(json.code, json.stderr).toBe(4);
		const written = path.join(dest, 'eio.zip');
		expect(JSON.parse(json.stdout)).toEqual({
			ok: false,
			error: {code: 'destination', message: `eio.zip cannot be read (EIO: i/o error, read); the backup was written (${written}) but not verified: verify it (lifeboat backup verify)`},
			written,
			verified: false,
		});
		expect(fs.readdirSync(dest)).toEqual(['eio.zip']);
		expect(runCli(['backup', 'verify', written]).code).toBe(0);
	});

	it('CLI: a base that cannot be read just now (EIO) is said so, exit 4; one that is gone is a broken chain, exit 5', () => {
		const dest = tempDir();
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'base', '--json']).code).toBe(0);
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'inc', '--incremental', '--since-last', '--json']).code).toBe(0);
		const inc = path.join(dest, 'inc.zip');
		const env = {NODE_OPTIONS: `--require ${path.resolve('test/helpers/after-publish.cjs')}`, LIFEBOAT_TEST_UNREADABLE: 'base.zip', LIFEBOAT_TEST_UNREADABLE_NOW: '1'};
		for (const args of [['backup', 'verify', inc], ['backup', 'restore', '--in', inc, '--data-dir', dataDir, '--dry-run']]) {
			const failed = runCli(args, {env});
			expect(failed.code, failed.stderr).toBe(4);
			expect(failed.stdout + failed.stderr).toMatch(/inc is an incremental of base \(made [^)]+\), which is not among the backups that could be read at \S+: 1 could not be read, and it may be the link \(base\.zip cannot be read \(EIO: i\/o error, read\)\); inc needs every link from its full backup base; try again once it can be read/);
			expect(failed.stdout + failed.stderr).not.toMatch(/Broken backup chain/);
		}
		// An incremental on that chain is not made (exit 5, as on a broken one: a schedule makes a full backup instead).
		const next = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'inc2', '--incremental', '--since-last', '--json'], {env});
		expect(next.code, next.stderr).toBe(5);
		expect((JSON.parse(next.stdout) as {error: {message: string}}).error.message).toMatch(/1 could not be read, and it may be the link \(base\.zip cannot be read .*; an incremental on inc could not be restored either: make a full backup \(without --incremental\)$/);
		expect(fs.readdirSync(dest).sort()).toEqual(['base.zip', 'inc.zip']);
		// Its first bytes read (listed), the rest not: the same answers.
		const later = {...env, LIFEBOAT_TEST_UNREADABLE_FROM: '8192'};
		const verify = runCli(['backup', 'verify', inc], {env: later});
		expect(verify.code, verify.stderr).toBe(4);
		expect(verify.stdout + verify.stderr).toMatch(/base\.zip cannot be read \(EIO: i\/o error, read\)/);
		const onIt = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'inc2', '--incremental', '--since-last', '--json'], {env: later});
		expect(onIt.code, onIt.stderr).toBe(5);
		expect((JSON.parse(onIt.stdout) as {error: {message: string}}).error.message).toMatch(/^base\.zip cannot be read \(EIO: i\/o error, read\); an incremental on inc could not be restored either: make a full backup \(without --incremental\)$/);
		expect(runCli(['backup', 'verify', inc]).code).toBe(0);
		fs.rmSync(path.join(dest, 'base.zip'));
		const broken = runCli(['backup', 'verify', inc]);
		expect(broken.code).toBe(5);
		expect(broken.stdout + broken.stderr).toMatch(/Broken backup chain: inc is an incremental of base \(made [^)]+\), which is not at \S+; inc needs every link from its full backup base/);
	});

	it('CLI: --verify keeps an incremental that is sound when its chain fails (a base damaged after it was written): exit 5', () => {
		const dest = tempDir();
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'full', '--json']).code).toBe(0);
		// One byte of the full's chats/messages.jsonl flipped (its data follows the local header's name and extra field).
		const full = path.join(dest, 'full.zip');
		const bytes = fs.readFileSync(full);
		const name = bytes.indexOf('chats/messages.jsonl');
		const header = name - 30;
		expect(bytes.readUInt32LE(header)).toBe(0x04034b50);
		const data = name + bytes.readUInt16LE(header + 26) + bytes.readUInt16LE(header + 28);
		bytes[data + 100]! ^= 0xff;
		fs.writeFileSync(full, bytes);
		// The incremental is written (it reads only its base's index), then its chain fails verify.
		const json = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'inc', '--incremental', '--since-last', '--verify', '--json']);
		expect(json.code).toBe(5);
		const answer = JSON.parse(json.stdout) as {ok: boolean; verify: {ok: boolean; problems: string[]; removed: boolean; kept: boolean}; error: {message: string}};
		expect(answer).toMatchObject({ok: false, verify: {ok: false, removed: false, kept: true}});
		// The damage is named in its base, and said as verify says it: this command restores nothing.
		expect(answer.verify.problems.join(' ')).toMatch(/full\.zip/);
		expect(answer.error.message).toMatch(/The backup itself verifies and is kept: the problem is in an earlier backup of its chain/);
		expect(answer.verify.problems.join(' ')).not.toMatch(/nothing was restored/);
		expect(fs.readdirSync(dest).sort()).toEqual(['full.zip', 'inc.zip']);
		expect(runCli(['backup', 'verify', path.join(dest, 'inc.zip')]).code).toBe(5);
		// `backup verify` says the base's problem without restore's words.
		const verify = runCli(['backup', 'verify', full]);
		expect(verify.code).toBe(5);
		expect(verify.stdout + verify.stderr).toMatch(/full\.zip|chats\/messages\.jsonl/);
		expect(verify.stdout + verify.stderr).not.toMatch(/nothing was restored/);
	});
});
