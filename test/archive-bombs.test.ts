import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {plainRawZip, rawLocal, rawZip, sealedDocuments, sha256, writeTarGzStreaming, zeros} from './helpers/hostile-archives.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

const MiB = 1024 * 1024;

/**
 * Zip bombs that expand from a few MB to tens or hundreds of GiB. Each must be refused from the
 * central directory (and manifest.json) before anything is inflated: the CLI exits (this waits
 * for the process, never a fixed time) with one line and exit code 5.
 */
describe('decompression bombs are refused before inflating', () => {
	let dataDir: string;
	let metadata: Buffer;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 5});
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir', categories: ['documents']});
		metadata = fs.readFileSync(path.join(backup.path, 'metadata.json'));
	});

	function expectRefused(file: string, message: RegExp): void {
		for (const args of [['backup', 'verify', file], ['backup', 'restore', '--in', file, '--data-dir', dataDir, '--dry-run']]) {
			const result = runCli(args);
			expect(result.code, args.join(' ')).toBe(5);
			const lines = result.stderr.trim().split('\n');
			expect(lines, args.join(' ')).toHaveLength(1);
			expect(lines[0], args.join(' ')).toMatch(message);
		}
	}

	it('2,000 central-directory records pointing at one 64 MiB entry (125 GiB from ~2 MB)', async () => {
		const bomb = rawLocal('documents/files/doc_0.bin', Buffer.alloc(64 * MiB));
		const names = Array.from({length: 2000}, (_, index) => `documents/files/doc_${index}.bin`);
		const digest = sha256(Buffer.alloc(64 * MiB));
		const listed = names.map(name => ({path: name, size: 64 * MiB, sha256: digest}));
		const sealed = sealedDocuments(metadata, listed);
		const locals = [rawLocal('metadata.json', sealed.metadata), bomb, rawLocal('manifest.json', sealed.manifest)];
		const file = path.join(tempDir(), 'overlap.zip');
		fs.writeFileSync(file, rawZip(locals, [{name: 'metadata.json', local: 0}, ...names.map(name => ({name, local: 1})), {name: 'manifest.json', local: 2}]));
		expect(fs.statSync(file).size).toBeLessThan(2 * MiB);
		expectRefused(file, /overlap.*decompression bomb/);
	});

	it('two records at one offset are refused even when the entry is small', () => {
		const one = rawLocal('documents/files/doc_a.bin', Buffer.from('hello'));
		const file = path.join(tempDir(), 'same-offset.zip');
		fs.writeFileSync(file, rawZip([one], [{name: 'documents/files/doc_a.bin', local: 0}, {name: 'documents/files/doc_b.bin', local: 0}]));
		const result = runCli(['backup', 'verify', file]);
		expect(result.code).toBe(5);
		expect(result.stderr.trim()).toBe(`lifeboat: same-offset.zip: entry "documents/files/doc_a.bin" overlaps entry "documents/files/doc_b.bin" (overlapping zip entries are a decompression bomb)`);
		// A restore of it says that it restored nothing; verify, which restores nothing anyway, does not.
		const restore = runCli(['backup', 'restore', '--in', file, '--data-dir', path.join(tempDir(), 'bare'), '--dry-run']);
		expect(restore.code).toBe(5);
		expect(restore.stderr.trim()).toMatch(/overlaps entry "documents\/files\/doc_b\.bin" \(overlapping zip entries are a decompression bomb\); nothing was restored$/);
	});

	it('thousands of 1 MiB entries, each under the per-entry ratio floor, listed in a consistent manifest', () => {
		const count = 5000;
		const oneMiB = rawLocal('x', Buffer.alloc(MiB));
		const digest = sha256(Buffer.alloc(MiB));
		const files = Array.from({length: count}, (_, index) => ({path: `documents/files/doc_${index}.bin`, size: MiB, sha256: digest}));
		const sealed = sealedDocuments(metadata, files);
		const locals = [rawLocal('metadata.json', sealed.metadata), ...files.map(entry => ({...oneMiB, name: entry.path})), rawLocal('manifest.json', sealed.manifest)];
		const file = path.join(tempDir(), 'many.zip');
		fs.writeFileSync(file, plainRawZip(locals));
		expect(fs.statSync(file).size).toBeLessThan(8 * MiB);
		expectRefused(file, /would expand to \d+ bytes from \d+ \(over 100:1\): refusing a likely decompression bomb/);
	});

	it('an entry manifest.json does not list is never inflated (its data here is not even valid deflate)', () => {
		const sealed = sealedDocuments(metadata, []);
		const garbage: ReturnType<typeof rawLocal> = {name: 'documents/files/doc_x.bin', data: Buffer.from([0xff, 0xff, 0xff, 0xff]), crc32: 0, size: 1000, method: 8};
		const file = path.join(tempDir(), 'unlisted.zip');
		fs.writeFileSync(file, plainRawZip([rawLocal('metadata.json', sealed.metadata), garbage, rawLocal('manifest.json', sealed.manifest)]));
		const result = runCli(['backup', 'verify', file]);
		expect(result.code).toBe(5);
		expect(result.stderr.trim().split('\n')[0]).toBe('lifeboat: documents/files/doc_x.bin: in the archive but not in the manifest');
		expect(result.stderr).not.toMatch(/invalid|cannot be read/);
		const restore = runCli(['backup', 'restore', '--in', file, '--data-dir', dataDir, '--dry-run']);
		expect(restore.code).toBe(5);
		expect(restore.stderr).toContain('documents/files/doc_x.bin: in the archive but not in the manifest');
		expect(restore.stderr).not.toMatch(/invalid|cannot be read/);
	});

	it('a real backup passes: its ratio is far under the bound', async () => {
		for (const format of ['zip', 'tar.gz'] as const) {
			const backup = await createBackup({dataDir, destDir: tempDir(), format});
			const result = runCli(['backup', 'verify', backup.path]);
			expect(result.stderr, format).toBe('');
			expect(result.code, format).toBe(0);
		}
	});

	it('tar.gz: many 1 MiB zero entries are refused by the cumulative ratio', async () => {
		const count = 120;
		const digest = sha256(Buffer.alloc(MiB));
		const files = Array.from({length: count}, (_, index) => ({path: `documents/files/doc_${index}.bin`, size: MiB, sha256: digest}));
		const sealed = sealedDocuments(metadata, files);
		const file = path.join(tempDir(), 'many.tar.gz');
		await writeTarGzStreaming(file, [
			{name: 'metadata.json', size: sealed.metadata.length, content: sealed.metadata},
			...files.map(entry => ({name: entry.path, size: MiB, content: zeros(MiB)})),
			{name: 'manifest.json', size: sealed.manifest.length, content: sealed.manifest},
		]);
		expectRefused(file, /expands over 100:1: refusing a likely decompression bomb/);
	});

	it('tar.gz: entries past the total metadata.json declares are refused before they are inflated', async () => {
		const sealed = sealedDocuments(metadata, [{path: 'documents/files/doc_a.bin', size: 10, sha256: sha256(Buffer.alloc(10))}]);
		const file = path.join(tempDir(), 'past-total.tar.gz');
		await writeTarGzStreaming(file, [
			{name: 'metadata.json', size: sealed.metadata.length, content: sealed.metadata},
			{name: 'documents/files/doc_a.bin', size: 10, content: Buffer.alloc(10)},
			{name: 'documents/files/doc_b.bin', size: 8 * MiB, content: zeros(8 * MiB)},
		]);
		expectRefused(file, /"documents\/files\/doc_b.bin" takes the archive past the 10 bytes its metadata.json declares/);
	});

	it('gzip of the whole bomb shape stays refused (a single 64 MiB+ zero entry)', async () => {
		const file = path.join(tempDir(), 'single.tar.gz');
		const sealed = sealedDocuments(metadata, [{path: 'documents/files/doc_a.bin', size: 96 * MiB, sha256: sha256(Buffer.alloc(96 * MiB))}]);
		await writeTarGzStreaming(file, [
			{name: 'metadata.json', size: sealed.metadata.length, content: sealed.metadata},
			{name: 'documents/files/doc_a.bin', size: 96 * MiB, content: zeros(96 * MiB)},
		]);
		expect(zlib.gunzipSync(fs.readFileSync(file)).length).toBeGreaterThan(96 * MiB);
		expectRefused(file, /decompression bomb/);
	});
});
