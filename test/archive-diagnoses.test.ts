import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import fc from 'fast-check';
import {beforeAll, describe, expect, it} from 'vitest';
import {LineSplitter, splitLines} from '../source/core/archive/line-splitter.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {listBackups} from '../source/core/backup/list-backups.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {LifeboatError} from '../source/core/errors.js';
import {plainRawZip, rawLocal, writeTarGzStreaming} from './helpers/hostile-archives.js';
import {CLI, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

const MiB = 1024 * 1024;

/** Rewrites a folder backup's metadata.json and re-lists it in manifest.json (size and sha256). */
function editMetadata(dir: string, bytes: Buffer): void {
	fs.writeFileSync(path.join(dir, 'metadata.json'), bytes);
	const manifestFile = path.join(dir, 'manifest.json');
	const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {files: Array<{path: string; size: number; sha256: string}>};
	const entry = manifest.files.find(file => file.path === 'metadata.json')!;
	entry.size = bytes.length;
	entry.sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
	fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
}

describe('archive diagnoses say what is wrong', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 9});
	});

	it('random bytes are not a Lifeboat backup, whatever the file is called', () => {
		for (const name of ['random.zip', 'random.tar.gz', 'random.bin']) {
			const file = path.join(tempDir(), name);
			// Random, but not beginning with `{` (a JSON bundle's first byte, 1 in 256 otherwise).
			const bytes = crypto.randomBytes(4096);
			bytes[0] = 0;
			fs.writeFileSync(file, bytes);
			const result = runCli(['backup', 'verify', file]);
			expect(result.code, name).toBe(5);
			expect(result.stderr.trim(), name).toBe(`lifeboat: ${file} is not a Lifeboat backup (neither zip, tar.gz, tar.zst, JSON bundle, encrypted backup nor folder)`);
		}
	});

	it('an encrypted backup with damaged magic bytes has a damaged header', async () => {
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'zip', passphrase: 'correct horse battery', kdfIterations: 1000, categories: ['agents']});
		const bytes = fs.readFileSync(backup.path);
		bytes[0] ^= 0xff;
		fs.writeFileSync(backup.path, bytes);
		const result = runCli(['backup', 'verify', backup.path], {env: {LIFEBOAT_BACKUP_PASSPHRASE: 'correct horse battery'}});
		expect(result.code).toBe(5);
		expect(result.stderr.trim()).toBe(`lifeboat: ${backup.path}: encrypted backup has a damaged header (its first bytes are not the Lifeboat encrypted-backup magic)`);
	});

	it('totals must be non-negative whole numbers and match what was read', async () => {
		for (const [field, value, message] of [
			['totalBytes', 1e300, 'metadata.json: totalBytes and totalFiles must be non-negative whole numbers'],
			['totalFiles', -1, 'metadata.json: totalBytes and totalFiles must be non-negative whole numbers'],
			['totalFiles', 'more', 'metadata.json: totalFiles'],
		] as const) {
			const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir', categories: ['agents']});
			const metadata = JSON.parse(fs.readFileSync(path.join(backup.path, 'metadata.json'), 'utf8')) as Record<string, number>;
			metadata[field] = value === 'more' ? metadata[field]! + 1 : (value as number);
			editMetadata(backup.path, Buffer.from(JSON.stringify(metadata)));
			const result = runCli(['backup', 'verify', backup.path]);
			expect(result.code, field).toBe(5);
			expect(result.stderr, field).toContain(message);
		}
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir', categories: ['agents']});
		const manifestFile = path.join(backup.path, 'manifest.json');
		const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {totalBytes: number};
		manifest.totalBytes = 1e300;
		fs.writeFileSync(manifestFile, JSON.stringify(manifest));
		const result = runCli(['backup', 'verify', backup.path]);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('manifest.json: totalBytes and totalFiles must be non-negative whole numbers');
	});

	it('metadata.json that is not valid UTF-8 is refused', async () => {
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir', categories: ['agents']});
		const text = fs.readFileSync(path.join(backup.path, 'metadata.json'), 'utf8');
		const at = text.indexOf('"name": "') + 9;
		editMetadata(backup.path, Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(at))]));
		for (const args of [['backup', 'verify', backup.path], ['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--dry-run']]) {
			const result = runCli(args);
			expect(result.code, args[1]).toBe(5);
			expect(result.stderr.trim(), args[1]).toBe('lifeboat: metadata.json is not valid UTF-8 (damaged or not written by Lifeboat)');
		}
	});

	it('one metadata.json limit everywhere (8 MiB), checked before reading: verify, restore and list', async () => {
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir', categories: ['agents']});
		const metadata = JSON.parse(fs.readFileSync(path.join(backup.path, 'metadata.json'), 'utf8')) as {warnings: string[]};
		metadata.warnings = ['x'.repeat(9 * MiB)];
		const big = Buffer.from(JSON.stringify(metadata));
		editMetadata(backup.path, big);
		const dest = tempDir();
		const zip = path.join(dest, 'big.zip');
		fs.writeFileSync(zip, plainRawZip([rawLocal('metadata.json', big)]));
		const tar = path.join(dest, 'big.tar.gz');
		await writeTarGzStreaming(tar, [{name: 'metadata.json', size: big.length, content: big}]);
		const message = `metadata.json is ${big.length} bytes, more than a real one can be (limit ${8 * MiB} bytes); refusing to read it`;
		for (const location of [backup.path, zip, tar]) {
			for (const args of [['backup', 'verify', location], ['backup', 'restore', '--in', location, '--data-dir', dataDir, '--dry-run']]) {
				const result = runCli(args);
				expect(result.code, `${args[1]} ${location}`).toBe(5);
				expect(result.stderr.trim(), `${args[1]} ${location}`).toBe(`lifeboat: ${message}`);
			}
		}
		const listed = await listBackups(dest);
		expect(listed.map(entry => entry.error)).toEqual([message, message]);
	});

	it('backup list reads backups one at a time: with few file descriptors, none is reported as corrupt', async () => {
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'zip', categories: ['agents']});
		const dest = tempDir();
		for (let index = 0; index < 300; index++) fs.linkSync(backup.path, path.join(dest, `copy-${String(index).padStart(3, '0')}.zip`));
		const output = execFileSync('bash', ['-c', `ulimit -n 100 && exec "${process.execPath}" "${CLI}" backup list --dest "${dest}" --json`], {encoding: 'utf8', maxBuffer: 64 * MiB});
		const {backups} = JSON.parse(output) as {ok: true; backups: Array<{error?: string}>};
		expect(backups).toHaveLength(300);
		expect(backups.filter(entry => entry.error)).toEqual([]);
	});
});

describe('line splitter', () => {
	const feed = (bytes: Buffer, chunkSize: number, maxLineBytes?: number) => {
		const splitter = new LineSplitter({what: 'tables/x.jsonl', maxLineBytes});
		const lines: string[] = [];
		for (let at = 0; at < bytes.length; at += chunkSize) splitter.push(bytes.subarray(at, at + chunkSize), line => lines.push(line));
		splitter.end(line => lines.push(line));
		return {lines, scanned: splitter.bytesScanned};
	};

	it('splits a 30 MB line delivered in 64 KiB chunks looking at each byte once', () => {
		const row = `{"id":"msg_1","body":"${'a'.repeat(30 * 1000 * 1000)}"}`;
		const bytes = Buffer.from(`{"id":"msg_0"}\n${row}\n{"id":"msg_2"}\n`);
		const {lines, scanned} = feed(bytes, 64 * 1024);
		expect(lines.map(line => line.length)).toEqual([14, row.length, 14]);
		expect(lines[1]).toBe(row);
		expect(scanned).toBe(bytes.length);
	});

	it('refuses a line over the limit as soon as it passes it, holding at most the limit', () => {
		const limit = MiB;
		const splitter = new LineSplitter({what: 'tables/x.jsonl', maxLineBytes: limit});
		const chunk = Buffer.alloc(64 * 1024, 0x61);
		let fed = 0;
		const run = () => {
			for (;;) {
				splitter.push(chunk, () => {});
				fed += chunk.length;
			}
		};
		expect(run).toThrow(LifeboatError);
		expect(fed).toBe(limit);
		expect(() => new LineSplitter({what: 'tables/x.jsonl', maxLineBytes: 10}).push(Buffer.from('0123456789ab\n'), () => {})).toThrow('tables/x.jsonl: a line longer than 10 bytes (not a row Lifeboat writes)');
	});

	it('gives the lines split("\\n") gives, for any text cut into any chunks (UTF-8 cut mid-character)', () => {
		fc.assert(
			fc.property(fc.array(fc.oneof(fc.string(), fc.constant('\n'), fc.constant('é€😀')), {maxLength: 40}), fc.integer({min: 1, max: 7}), (parts, chunkSize) => {
				const text = parts.join('');
				const expected = text.split('\n');
				if (expected.at(-1) === '') expected.pop();
				expect(feed(Buffer.from(text), chunkSize).lines).toEqual(expected);
			}),
		);
	});

	it('async: lines of a stream, and a corrupt-archive error for invalid UTF-8 when fatal', async () => {
		const lines: string[] = [];
		for await (const line of splitLines([Buffer.from('a\nb'), Buffer.from('c\n\nd')], {what: 'x'})) lines.push(line);
		expect(lines).toEqual(['a', 'bc', '', 'd']);
		const bad = async () => {
			for await (const _line of splitLines([Buffer.from([0x61, 0xff, 0x0a])], {what: 'x', fatal: true}));
		};
		await expect(bad()).rejects.toThrow('x: a line is not valid UTF-8');
	});
});
