import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {pipeline} from 'node:stream/promises';
import tarStream from 'tar-stream';
import {beforeAll, describe, expect, it} from 'vitest';
import {formatFromPath} from '../source/core/archive/archive-format.js';
import {sniffHead} from '../source/core/archive/archive-reader.js';
import {isLifeboatBackup} from '../source/core/backup/backup-sniff.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {packStreaming, sealedDocuments, sha256, zeros, type StreamedTarEntry} from './helpers/hostile-archives.js';
import {CLI, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway, freshGateway, storeDigest} from './restore-support.js';

const MiB = 1024 * 1024;
const hasZstd = spawnSync('zstd', ['--version']).status === 0;

/** Packs entries into a tar and compresses it with the stock zstd program. */
async function writeTarZst(file: string, entries: StreamedTarEntry[]): Promise<void> {
	const pack = tarStream.pack();
	const child = spawn('zstd', ['-q', '-c', '-T0'], {stdio: ['pipe', 'pipe', 'inherit']});
	const done = Promise.all([pipeline(child.stdout, fs.createWriteStream(file)), new Promise(resolve => child.on('close', resolve))]);
	pack.pipe(child.stdin);
	await packStreaming(pack, entries);
	await done;
}

/** Rows and files after a restore, less the audit log (each restore records itself there). */
function restoredDigest(dataDir: string): ReturnType<typeof storeDigest> {
	const digest = storeDigest(dataDir);
	delete digest.tables['audit_log'];
	return digest;
}

describe.skipIf(!hasZstd)('tar.zst backups (through the system zstd)', () => {
	let dataDir: string;
	let backup: string;
	let passphraseFile: string;
	/** What a restore of the same gateway's zip holds (secrets are redacted alike in every format). */
	let zipRestored: ReturnType<typeof restoredDigest>;
	beforeAll(async () => {
		dataDir = await demoGateway({tenants: 2, seed: 31});
		backup = (await createBackup({dataDir, destDir: tempDir(), name: 'zst', format: 'tar.zst'})).path;
		passphraseFile = path.join(tempDir(), 'passphrase');
		fs.writeFileSync(passphraseFile, 'a zstd passphrase\n');
		const zip = (await createBackup({dataDir, destDir: tempDir(), name: 'zip', format: 'zip'})).path;
		const target = freshGateway();
		expect(runCli(['backup', 'restore', '--in', zip, '--data-dir', target, '--yes']).code).toBe(0);
		zipRestored = restoredDigest(target);
	});

	it('is named .tar.zst, sniffed by its magic bytes and recognised as a Lifeboat backup', () => {
		expect(path.basename(backup)).toBe('zst.tar.zst');
		expect(formatFromPath(backup)).toBe('tar.zst');
		expect(fs.readFileSync(backup).subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
		expect(sniffHead(fs.readFileSync(backup).subarray(0, 16), 'renamed.bin')).toBe('tar.zst');
		expect(isLifeboatBackup(backup)).toBe(true);
	});

	it('stock zstd -t and tar --zstd -tf accept the output', () => {
		expect(spawnSync('zstd', ['-t', '-q', backup]).status).toBe(0);
		const listed = spawnSync('tar', ['--zstd', '-tf', backup], {encoding: 'utf8'});
		expect(listed.status).toBe(0);
		const names = listed.stdout.trim().split('\n');
		expect(names[0]).toBe('metadata.json');
		expect(names.at(-1)).toBe('manifest.json');
	});

	it('round trip: verify, then a restore into a fresh gateway holds the same rows and files', () => {
		expect(runCli(['backup', 'verify', backup]).code).toBe(0);
		const target = freshGateway();
		const restored = runCli(['backup', 'restore', '--in', backup, '--data-dir', target, '--yes']);
		expect(restored.code, restored.stderr).toBe(0);
		expect(restoredDigest(target)).toEqual(zipRestored);
	});

	it('encrypted tar.zst: listed as tar.zst, verifies and restores with the passphrase, refused without', () => {
		const dest = tempDir();
		const created = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'enc', '--format', 'tar.zst', '--passphrase-file', passphraseFile]);
		expect(created.code, created.stderr).toBe(0);
		const file = path.join(dest, 'enc.tar.zst.enc');
		const listed = JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json']).stdout) as {backups: Array<{format: string; encrypted?: boolean}>};
		expect(listed.backups.map(entry => [entry.format, entry.encrypted])).toEqual([['tar.zst', true]]);
		expect(runCli(['backup', 'verify', file, '--passphrase-file', passphraseFile]).code).toBe(0);
		const wrong = path.join(tempDir(), 'wrong');
		fs.writeFileSync(wrong, 'not the passphrase\n');
		expect(runCli(['backup', 'verify', file, '--passphrase-file', wrong]).code).toBe(6);
		const target = freshGateway();
		const restored = runCli(['backup', 'restore', '--in', file, '--data-dir', target, '--yes', '--passphrase-file', passphraseFile]);
		expect(restored.code, restored.stderr).toBe(0);
		// An encrypted backup carries the 2FA secrets sealed with the passphrase: compare with an encrypted zip's restore.
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'encz', '--format', 'zip', '--passphrase-file', passphraseFile]).code).toBe(0);
		const zipTarget = freshGateway();
		expect(runCli(['backup', 'restore', '--in', path.join(dest, 'encz.zip.enc'), '--data-dir', zipTarget, '--yes', '--passphrase-file', passphraseFile]).code).toBe(0);
		expect(restoredDigest(target)).toEqual(restoredDigest(zipTarget));
	});

	it('a truncated tar.zst is refused with one line and exit 5; the target gateway is unchanged', () => {
		const bytes = fs.readFileSync(backup);
		for (const keep of [0.3, 0.7, 0.99]) {
			const file = path.join(tempDir(), 'cut.tar.zst');
			fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * keep)));
			const target = freshGateway();
			const before = storeDigest(target);
			for (const args of [['backup', 'verify', file], ['backup', 'restore', '--in', file, '--data-dir', target, '--yes']]) {
				const result = runCli(args);
				expect(result.code, `${keep} ${args[1]}: ${result.stderr}`).toBe(5);
				expect(result.stderr.trim().split('\n')).toHaveLength(1);
				expect(result.stderr).toMatch(/cut\.tar\.zst (is corrupt or truncated|is not a Lifeboat backup)/);
			}
			expect(storeDigest(target)).toEqual(before);
		}
	});

	it('a corrupt byte in the middle is refused with exit 5', () => {
		const bytes = Buffer.from(fs.readFileSync(backup));
		bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
		const file = path.join(tempDir(), 'flipped.tar.zst');
		fs.writeFileSync(file, bytes);
		const result = runCli(['backup', 'verify', file]);
		expect(result.code).toBe(5);
		expect(result.stderr.trim().split('\n')).toHaveLength(1);
	});

	it('a zstd bomb (2 GiB of zeros in a few hundred KB, listed in a consistent manifest) is refused with exit 5', async () => {
		const metadata = fs.readFileSync(path.join((await createBackup({dataDir, destDir: tempDir(), format: 'dir', categories: ['documents']})).path, 'metadata.json'));
		const size = 2048 * MiB;
		const digest = sha256(Buffer.alloc(0));
		const sealed = sealedDocuments(metadata, [{path: 'documents/files/doc_bomb.bin', size, sha256: digest}]);
		const file = path.join(tempDir(), 'bomb.tar.zst');
		await writeTarZst(file, [
			{name: 'metadata.json', size: sealed.metadata.length, content: sealed.metadata},
			{name: 'documents/files/doc_bomb.bin', size, content: zeros(size)},
			{name: 'manifest.json', size: sealed.manifest.length, content: sealed.manifest},
		]);
		expect(fs.statSync(file).size).toBeLessThan(2 * MiB);
		for (const args of [['backup', 'verify', file], ['backup', 'restore', '--in', file, '--data-dir', dataDir, '--dry-run']]) {
			const result = runCli(args);
			expect(result.code, args.join(' ')).toBe(5);
			expect(result.stderr.trim().split('\n')).toHaveLength(1);
			expect(result.stderr).toMatch(/expands over \d+:1.*decompression bomb/);
		}
	}, 120_000);

	it('without the zstd program: create and verify say what to install, exit 2, and write nothing', () => {
		const env = {PATH: path.join(tempDir(), 'empty-bin')};
		const dest = tempDir();
		for (const args of [['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'x', '--format', 'tar.zst'], ['backup', 'verify', backup]]) {
			const result = spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8', env: {...process.env, ...env}});
			expect(result.status, result.stderr).toBe(2);
			expect(result.stderr.trim().split('\n')).toHaveLength(1);
			expect(result.stderr).toMatch(/needs the zstd program, which is not installed \(install the zstd package/);
		}
		expect(fs.readdirSync(dest)).toEqual([]);
	});
});
