/**
 * File-system safety of what Lifeboat writes: owner-only permissions whatever the umask, --force
 * replacing only real backups, two backups of one name never both "succeeding", destinations
 * through links into the data dir refused, and paths that used to hang giving a clear error.
 */
import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {ZipArchive} from 'archiver';
import {beforeAll, describe, expect, it} from 'vitest';
import {prepareAtomicOutput} from '../source/core/backup/atomic-output.js';
import {isLifeboatBackup} from '../source/core/backup/backup-sniff.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {listBackups} from '../source/core/backup/list-backups.js';
import {LifeboatError} from '../source/core/errors.js';
import {copyBackup} from '../source/ui/backup-actions.js';
import {CLI, runCli, spawnCli, type CliResult, expectOneLineError} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {copyGateway, demoGateway, exec, walkFiles} from './restore-support.js';

/** The built CLI under a given umask, as cron or an operator's shell would run it. */
function runCliWithUmask(umask: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
	const result = spawnSync('sh', ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, CLI, ...args], {
		encoding: 'utf8',
		env: {...process.env, ...env, FORCE_COLOR: '0'},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

/** Every path under (and including) `root`, with its permission bits, as "mode path". */
function modes(root: string): string[] {
	const out: string[] = [];
	const walk = (target: string) => {
		const stats = fs.lstatSync(target);
		out.push(`${(stats.mode & 0o777).toString(8)} ${stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : 'other'} ${path.relative(path.dirname(root), target)}`);
		if (stats.isDirectory()) for (const name of fs.readdirSync(target)) walk(path.join(target, name));
	};
	walk(root);
	return out;
}

/** Every entry is owner-only: files 0600, folders 0700, nothing else (no links, no devices). */
function expectPrivate(root: string): void {
	const all = modes(root);
	expect(all.length).toBeGreaterThan(0);
	expect(all.filter(line => !/^(600 file|700 dir) /.test(line))).toEqual([]);
}


let dataDir: string;
beforeAll(async () => {
	dataDir = await demoGateway({tenants: 2, seed: 41});
});

describe('backups are owner-only whatever the umask', () => {
	for (const umask of ['022', '000']) {
		it(`zip, tar.gz, encrypted and folder backups under umask ${umask}: every path 0600/0700`, () => {
			const parent = path.join(tempDir(), 'new');
			// The destination does not exist yet: the folders Lifeboat makes for it are private too.
			const dest = path.join(parent, 'backups');
			const passphraseFile = path.join(tempDir(), 'pass');
			fs.writeFileSync(passphraseFile, 'correct horse battery staple\n');
			const runs: string[][] = [
				['--format', 'zip', '--name', 'z'],
				['--format', 'tar.gz', '--name', 't'],
				['--format', 'zip', '--name', 'e', '--passphrase-file', passphraseFile],
				['--format', 'tar.gz', '--name', 'te', '--passphrase-file', passphraseFile],
				['--format', 'dir', '--name', 'd'],
			];
			for (const extra of runs) {
				const result = runCliWithUmask(umask, ['backup', 'create', '--data-dir', dataDir, '--dest', dest, ...extra]);
				expect(result.stderr).toBe('');
				expect(result.code).toBe(0);
			}
			expect(fs.readdirSync(dest).sort()).toEqual(['d', 'e.zip.enc', 't.tar.gz', 'te.tar.gz.enc', 'z.zip']);
			expect(walkFiles(path.join(dest, 'd')).length).toBeGreaterThan(20);
			expectPrivate(parent);
			// --out into a folder that does not exist yet, and --force replacing a backup.
			const out = path.join(parent, 'more', 'deeper', 'exact.zip');
			expect(runCliWithUmask(umask, ['backup', 'create', '--data-dir', dataDir, '--out', out, '--categories', 'tools']).code).toBe(0);
			expect(runCliWithUmask(umask, ['backup', 'create', '--data-dir', dataDir, '--out', out, '--categories', 'tools', '--force']).code).toBe(0);
			expectPrivate(parent);
		});
	}

	it('the scratch folder and its dumps are owner-only while a backup is written', () => {
		const dest = tempDir();
		const output = prepareAtomicOutput(path.join(dest, 'b.zip'), {});
		try {
			expect((fs.statSync(output.workDir).mode & 0o777).toString(8)).toBe('700');
		} finally {
			output.discard();
		}
		expect(fs.readdirSync(dest)).toEqual([]);
	});

	it('copies of a backup (console "copy to") are owner-only, even of an older world-readable backup', async () => {
		const source = tempDir();
		const zip = await createBackup({dataDir, destDir: source, name: 'old', format: 'zip', categories: ['tools', 'agents']});
		const dir = await createBackup({dataDir, destDir: source, name: 'old-dir', format: 'dir', categories: ['tools', 'agents']});
		// As written by an earlier Lifeboat: 0644 files in 0755 folders.
		for (const line of modes(source)) {
			const target = path.join(path.dirname(source), line.split(' ')[2]!);
			fs.chmodSync(target, line.includes(' dir ') ? 0o755 : 0o644);
		}
		const target = path.join(tempDir(), 'copies');
		for (const listing of await listBackups(source)) await copyBackup(listing, path.join(target, listing.fileName));
		expect(fs.readdirSync(target).sort()).toEqual([path.basename(dir.path), path.basename(zip.path)].sort());
		expectPrivate(target);
		// Never over an existing name.
		const listing = (await listBackups(source)).find(candidate => candidate.format === 'zip')!;
		await expect(copyBackup(listing, path.join(target, listing.fileName))).rejects.toMatchObject({code: 'exists'});
		expect(fs.readdirSync(target).sort()).toEqual([path.basename(dir.path), path.basename(zip.path)].sort());
	});

	it('the quarantine a restore writes is owner-only under umask 000; an accepted file gets its live mode back', async () => {
		const zip = await createBackup({dataDir, destDir: tempDir(), name: 'q', format: 'zip'});
		const live = copyGateway(dataDir);
		expect(exec(live, `UPDATE webhooks SET name = 'renamed' WHERE id = (SELECT id FROM webhooks ORDER BY id LIMIT 1)`)).toBe(1);
		const agentDirName = fs.readdirSync(path.join(live, 'agents')).sort()[0]!;
		const soul = path.join(live, 'agents', agentDirName, 'SOUL.md');
		fs.writeFileSync(soul, 'edited on the live gateway\n');
		fs.chmodSync(soul, 0o640);
		const result = runCliWithUmask('000', ['backup', 'restore', '--in', zip.path, '--data-dir', live]);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const restoreId = /Restore id: (\S+)/.exec(result.stdout)![1]!;
		const quarantine = path.join(live, 'quarantine');
		expect(fs.readdirSync(quarantine)).toEqual([restoreId]);
		expect(walkFiles(quarantine).some(file => file.endsWith('SOUL.md'))).toBe(true);
		expectPrivate(quarantine);
		expect(runCliWithUmask('000', ['quarantine', 'accept', restoreId, '--data-dir', live, '--yes']).code).toBe(0);
		expect(fs.readFileSync(soul, 'utf8')).not.toBe('edited on the live gateway\n');
		expect((fs.statSync(soul).mode & 0o777).toString(8)).toBe('640');
	});
});

/** Files and folders that are not Lifeboat backups, whatever their names say. */
async function notBackups(dir: string): Promise<string[]> {
	const made: string[] = [];
	const file = (name: string, content: Buffer | string) => {
		const full = path.join(dir, name);
		fs.writeFileSync(full, content);
		made.push(full);
	};
	file('precious.zip', 'precious');
	file('empty.zip', '');
	file('random.tar.gz', crypto.randomBytes(5000));
	file('plain.tar.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
	file('fake.zip.enc', Buffer.concat([Buffer.from('LIFEBOAT-ENC\0', 'latin1'), crypto.randomBytes(200)]));
	// A real zip whose metadata.json is somebody else's.
	const other = path.join(dir, 'other.zip');
	const archive = new ZipArchive({});
	const stream = fs.createWriteStream(other);
	const written = new Promise(resolve => stream.on('close', resolve));
	archive.pipe(stream);
	archive.append('{"kind": "someone-else", "name": "x"}\n', {name: 'metadata.json'});
	await archive.finalize();
	await written;
	made.push(other);
	const folder = path.join(dir, 'photos');
	fs.mkdirSync(folder);
	fs.writeFileSync(path.join(folder, 'metadata.json'), '{"kind": "album"}');
	made.push(folder);
	const link = path.join(dir, 'link.zip');
	fs.symlinkSync(other, link);
	made.push(link);
	return made;
}

describe('--force replaces only Lifeboat backups', () => {
	it('refuses a file or folder that is not a backup, in one line, exit 4, changing nothing', async () => {
		const dir = tempDir();
		const targets = await notBackups(dir);
		const before = modes(dir);
		const digest = (file: string) => (fs.lstatSync(file).isFile() ? crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') : 'n/a');
		const hashes = targets.map(digest);
		for (const target of targets) {
			const format = target.endsWith('.tar.gz') ? 'tar.gz' : fs.lstatSync(target).isDirectory() ? 'dir' : 'zip';
			const extra = target.endsWith('.enc') ? ['--passphrase-file', path.join(dir, 'precious.zip')] : [];
			const result = runCli(['backup', 'create', '--data-dir', dataDir, '--out', target, '--format', format, '--categories', 'tools', '--force', ...extra]);
			expectOneLineError(result, 4, /exists and is not a Lifeboat backup; --force only replaces backups$/);
		}
		expect(modes(dir)).toEqual(before);
		expect(targets.map(digest)).toEqual(hashes);
	});

	it('replaces real backups of every kind', async () => {
		const dest = tempDir();
		const passphraseFile = path.join(tempDir(), 'pass');
		fs.writeFileSync(passphraseFile, 'a long enough passphrase\n');
		for (const [name, extra] of [
			['a.zip', ['--format', 'zip']],
			['a.tar.gz', ['--format', 'tar.gz']],
			['a.zip.enc', ['--format', 'zip', '--passphrase-file', passphraseFile]],
			['a.tar.gz.enc', ['--format', 'tar.gz', '--passphrase-file', passphraseFile]],
			['a', ['--format', 'dir']],
		] as const) {
			const out = path.join(dest, name);
			const args = ['backup', 'create', '--data-dir', dataDir, '--out', out, '--categories', 'tools', '--json', ...extra];
			const first = JSON.parse(runCli(args).stdout) as {metadata: {id: string}};
			const second = runCli([...args, '--force']);
			expect(second.stderr).toBe('');
			expect(second.code).toBe(0);
			expect((JSON.parse(second.stdout) as {metadata: {id: string}}).metadata.id).not.toBe(first.metadata.id);
		}
		expect(fs.readdirSync(dest).sort()).toEqual(['a', 'a.tar.gz', 'a.tar.gz.enc', 'a.zip', 'a.zip.enc']);
	});

	it('no random file is taken for a backup, whatever its first bytes', () => {
		const dir = tempDir();
		const prefixes = [Buffer.alloc(0), Buffer.from('PK\u0003\u0004'), Buffer.from([0x1f, 0x8b, 8]), Buffer.from('LIFEBOAT-ENC\0', 'latin1')];
		fc.assert(
			fc.property(fc.constantFrom(...prefixes), fc.uint8Array({maxLength: 6000}), (prefix, rest) => {
				const file = path.join(dir, 'x.zip');
				fs.writeFileSync(file, Buffer.concat([prefix, rest]));
				return !isLifeboatBackup(file);
			}),
			{numRuns: 300},
		);
	});
});

describe('two backups of one name: one wins, the other exits 4 and leaves nothing', () => {
	const intruders: Record<string, (target: string) => void> = {
		file: target => fs.writeFileSync(target, 'someone else'),
		'empty folder': target => fs.mkdirSync(target),
		folder: target => {
			fs.mkdirSync(target);
			fs.writeFileSync(path.join(target, 'x'), 'someone else');
		},
		link: target => fs.symlinkSync('/nonexistent', target),
	};
	for (const kind of ['file', 'folder'] as const) {
		for (const [intruder, make] of Object.entries(intruders)) {
			it(`a ${intruder} appearing under the name before a ${kind} backup commits is kept; the backup is discarded`, async () => {
				const dest = tempDir();
				const finalPath = path.join(dest, kind === 'file' ? 'b.zip' : 'b');
				const output = prepareAtomicOutput(finalPath, {});
				if (kind === 'file') fs.writeFileSync(output.tempOutput, 'ours');
				else {
					fs.mkdirSync(output.tempOutput);
					fs.writeFileSync(path.join(output.tempOutput, 'metadata.json'), 'ours');
				}
				make(finalPath);
				const before = modes(dest);
				const error = await output.commit().then(() => undefined, (caught: unknown) => caught);
				expect(error).toBeInstanceOf(LifeboatError);
				expect((error as LifeboatError).code).toBe('exists');
				expect((error as LifeboatError).message).toBe(`${finalPath} appeared while this backup was being written (another backup of the same name?); this one was discarded`);
				expect(fs.readdirSync(dest)).toEqual(['b' + (kind === 'file' ? '.zip' : '')]);
				expect(modes(dest)).toEqual(before.filter(line => !line.includes('.lifeboat-partial-')));
			});
		}
	}

	it('two real concurrent `backup create` processes with the same --name', async () => {
		const dest = tempDir();
		for (const format of ['zip', 'dir']) {
			const run = () => {
				const child = spawnCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', `same-${format}`, '--format', format, '--json']);
				let stdout = '';
				let stderr = '';
				child.stdout!.on('data', chunk => (stdout += chunk));
				child.stderr!.on('data', chunk => (stderr += chunk));
				return new Promise<CliResult>(resolve => child.on('close', code => resolve({code, stdout, stderr})));
			};
			const results = await Promise.all([run(), run()]);
			expect(results.map(result => result.code).sort()).toEqual([0, 4]);
			const winner = results.find(result => result.code === 0)!;
			const loser = results.find(result => result.code === 4)!;
			expectOneLineError(loser, 4, /already exists \(pass --force to replace it\)|appeared while this backup was being written/);
			const written = JSON.parse(winner.stdout) as {path: string; sha256: string};
			if (format === 'zip') expect(crypto.createHash('sha256').update(fs.readFileSync(written.path)).digest('hex')).toBe(written.sha256);
			else expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(written.path, 'manifest.json'))).digest('hex')).toBe(written.sha256);
		}
		expect(fs.readdirSync(dest).sort()).toEqual(['same-dir', 'same-zip.zip']);
		expect(runCli(['backup', 'verify', path.join(dest, 'same-zip.zip')]).code).toBe(0);
		expect(runCli(['backup', 'verify', path.join(dest, 'same-dir')]).code).toBe(0);
	});
});

describe('destinations are checked by where they really lead', () => {
	it('a --dest or --out through a link into the data dir is refused, nothing is written there', () => {
		const gateway = copyGateway(dataDir);
		for (const folder of ['keys', 'quarantine']) fs.mkdirSync(path.join(gateway, folder), {recursive: true});
		const before = walkFiles(gateway);
		const links = tempDir();
		for (const folder of ['data', 'agents', 'documents', 'keys', 'quarantine']) {
			const link = path.join(links, `to-${folder}`);
			fs.symlinkSync(path.join(gateway, folder), link);
			const pattern = new RegExp(`inside the gateway's ${folder}/ folder`);
			expectOneLineError(runCli(['backup', 'create', '--data-dir', gateway, '--dest', link]), 4, pattern);
			expectOneLineError(runCli(['backup', 'create', '--data-dir', gateway, '--dest', path.join(link, 'sub', 'deeper')]), 4, pattern);
			expectOneLineError(runCli(['backup', 'create', '--data-dir', gateway, '--out', path.join(link, 'b.zip')]), 4, pattern);
		}
		// A link to the data dir itself, a dangling link that would lead inside, a link to a link.
		const root = path.join(links, 'root');
		fs.symlinkSync(gateway, root);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', gateway, '--dest', path.join(root, 'documents', 'x')]), 4, /inside the gateway's documents\/ folder/);
		const dangling = path.join(links, 'dangling');
		fs.symlinkSync(path.join(gateway, 'data', 'not-yet'), dangling);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', gateway, '--dest', dangling]), 4, /inside the gateway's data\/ folder/);
		const chained = path.join(links, 'chained');
		fs.symlinkSync(path.join(links, 'to-agents'), chained);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', gateway, '--dest', chained]), 4, /inside the gateway's agents\/ folder/);
		// The data dir given through a link is compared the same way.
		expectOneLineError(runCli(['backup', 'create', '--data-dir', root, '--dest', path.join(gateway, 'keys')]), 4, /inside the gateway's keys\/ folder/);
		expect(walkFiles(gateway)).toEqual(before);
		// A link that leads outside the data dir is fine.
		const outside = path.join(links, 'outside');
		fs.symlinkSync(tempDir(), outside);
		expect(runCli(['backup', 'create', '--data-dir', root, '--dest', outside, '--categories', 'tools']).code).toBe(0);
	});

	it('any folder inside the data dir is refused as a destination, not only the gateway\'s own folders', () => {
		const gateway = copyGateway(dataDir);
		const before = walkFiles(gateway);
		for (const dest of [path.join(gateway, 'backups'), path.join(gateway, 'a', 'b', 'c'), path.join(gateway, '.hidden')]) {
			expectOneLineError(runCli(['backup', 'create', '--data-dir', gateway, '--dest', dest]), 4, /inside the gateway data directory/);
			expectOneLineError(runCli(['backup', 'create', '--data-dir', gateway, '--out', path.join(dest, 'b.zip')]), 4, /inside the gateway data directory/);
		}
		expect(walkFiles(gateway)).toEqual(before);
		expect(fs.existsSync(path.join(gateway, 'backups'))).toBe(false);
	});

	it('verify of a folder without metadata.json is "not a Lifeboat backup" at once, one line, before walking it', () => {
		const folder = tempDir();
		for (let index = 0; index < 50; index++) fs.mkdirSync(path.join(folder, `d${index}`, 'deeper'), {recursive: true});
		// A link inside would stop a walk with "link or special file": the refusal must come first.
		fs.symlinkSync('/', path.join(folder, 'd0', 'root-link'));
		expectOneLineError(runCli(['backup', 'verify', folder]), 5, new RegExp(`${folder} is not a Lifeboat backup \\(a folder without metadata\\.json\\)`));
		fs.mkdirSync(path.join(folder, 'metadata.json'));
		expectOneLineError(runCli(['backup', 'verify', folder]), 5, /a folder without metadata\.json/);
	});

	it('a destination under /proc fails at once with a clear line (mkdir -p there used to spin forever)', () => {
		for (const args of [['--dest', '/proc/x'], ['--dest', '/proc/x/y/z'], ['--out', '/proc/lifeboat/b.zip']]) {
			const started = Date.now();
			const result = spawnSync(process.execPath, [CLI, 'backup', 'create', '--data-dir', dataDir, '--categories', 'tools', ...args], {encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL'});
			expect(result.signal).toBeNull();
			expectOneLineError({code: result.status, stdout: result.stdout, stderr: result.stderr}, 4, /^lifeboat: Destination \/proc\/\S+: no such file or directory$/);
			expect(Date.now() - started).toBeLessThan(30_000);
		}
	});
});
