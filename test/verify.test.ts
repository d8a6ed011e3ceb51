import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {writeTarGz, writeTarGzStreaming, writeZip, zeros} from './helpers/hostile-archives.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

function verify(location: string) {
	return runCli(['backup', 'verify', location]);
}

describe('backup verify', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 3});
	});

	it('fails naming the file when one byte of a directory backup changes', async () => {
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
		expect(verify(backup.path).code).toBe(0);
		const file = path.join(backup.path, 'memory', 'entries.jsonl');
		const bytes = fs.readFileSync(file);
		bytes[Math.floor(bytes.length / 2)] ^= 0x01;
		fs.writeFileSync(file, bytes);
		const result = verify(backup.path);
		expect(result.code).toBe(5);
		expect(result.stderr.trim()).toBe('lifeboat: memory/entries.jsonl: checksum mismatch (file is corrupted)');
	});

	it('fails naming the file when one byte of a stored image in a zip changes', async () => {
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'zip'});
		const png = fs.readdirSync(path.join(dataDir, 'documents', 'files')).find(name => name.endsWith('.png'))!;
		const original = fs.readFileSync(path.join(dataDir, 'documents', 'files', png));
		const zip = fs.readFileSync(backup.path);
		const at = zip.indexOf(original.subarray(1000, 1064));
		expect(at).toBeGreaterThan(0);
		zip[at + 10] ^= 0xff;
		fs.writeFileSync(backup.path, zip);
		const result = verify(backup.path);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain(`documents/files/${png}`);
	});

	it('reports missing and extra files, and an unsupported schema version', async () => {
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
		fs.rmSync(path.join(backup.path, 'tools', 'tools.jsonl'));
		fs.writeFileSync(path.join(backup.path, 'tools', 'extra.jsonl'), '{}\n');
		let result = verify(backup.path);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('tools/tools.jsonl: listed in the manifest but missing from the archive');
		expect(result.stderr).toContain('tools/extra.jsonl: in the archive but not in the manifest');
		const metadataFile = path.join(backup.path, 'metadata.json');
		const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8'));
		metadata.schemaVersion = 99;
		fs.writeFileSync(metadataFile, JSON.stringify(metadata));
		result = verify(backup.path);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('Backup has schema version 99; this Lifeboat reads 1');
	});

	it('rejects truncated zip and tar.gz archives with one clear line', async () => {
		for (const format of ['zip', 'tar.gz'] as const) {
			const backup = await createBackup({dataDir, destDir: tempDir(), format});
			const bytes = fs.readFileSync(backup.path);
			fs.writeFileSync(backup.path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
			const result = verify(backup.path);
			expect(result.code, format).toBe(5);
			expect(result.stderr, format).toMatch(/^lifeboat: .*(truncated|corrupt|missing)/m);
			expect(result.stderr).not.toContain('    at ');
		}
	});

	it('rejects zip-slip, absolute and symlink entries', async () => {
		const dir = tempDir();
		const slip = path.join(dir, 'slip.zip');
		await writeZip(slip, [{name: 'metadata.json', content: Buffer.from('{}')}, {name: 'XX/evil.txt', content: Buffer.from('pwned')}], [['XX/evil.txt', '../evil.txt']]);
		let result = verify(slip);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('Unsafe entry "../evil.txt" in archive: path escapes the archive (..)');
		const absolute = path.join(dir, 'absolute.tar.gz');
		await writeTarGz(absolute, [{header: {name: '/etc/cron.d/evil', type: 'file', size: 4}, content: Buffer.from('evil')}]);
		result = verify(absolute);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('absolute path');
		const link = path.join(dir, 'link.tar.gz');
		await writeTarGz(link, [{header: {name: 'metadata.json', type: 'symlink', linkname: '/etc/passwd'}}]);
		result = verify(link);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('is a symlink');
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
		fs.symlinkSync('/etc/passwd', path.join(backup.path, 'tools', 'passwd'));
		result = verify(backup.path);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('is a link or special file');
	});

	it('refuses decompression bombs while reading, not after', async () => {
		const dir = tempDir();
		const bomb = path.join(dir, 'bomb.zip');
		await writeZip(bomb, [{name: 'metadata.json', content: Buffer.from('{}')}, {name: 'memory/entries.jsonl', content: zeros(200 * 1024 * 1024)}]);
		expect(fs.statSync(bomb).size).toBeLessThan(400 * 1024);
		const result = verify(bomb);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('decompression bomb');
	});

	it('refuses a tar.gz bomb hidden among real data (per-entry ratio, measured while reading)', async () => {
		const file = path.join(tempDir(), 'hidden-bomb.tar.gz');
		const random = crypto.randomBytes(2 * 1024 * 1024);
		await writeTarGzStreaming(file, [
			{name: 'metadata.json', size: 2, content: Buffer.from('{}')},
			{name: 'documents/files/doc_real.bin', size: random.length, content: random},
			{name: 'documents/files/doc_bomb.bin', size: 300 * 1024 * 1024, content: zeros(300 * 1024 * 1024)},
		]);
		const result = verify(file);
		expect(result.code).toBe(5);
		expect(result.stderr).toContain('documents/files/doc_bomb.bin');
		expect(result.stderr).toContain('decompression bomb');
	});

	it('malformed metadata is a corrupt backup (exit 5), never an internal error', async () => {
		for (const [field, value] of [['tenants', [null, 5]], ['redacted', 'x'], ['counts', {memory: null}], ['tenant', {id: 'ten_x', slug: 's', name: 'n'}]] as const) {
			const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
			const metadataFile = path.join(backup.path, 'metadata.json');
			const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8'));
			metadata[field] = value;
			fs.writeFileSync(metadataFile, JSON.stringify(metadata));
			const result = verify(backup.path);
			expect(result.code, field).toBe(5);
			expect(result.stderr, field).toMatch(/^lifeboat: metadata.json: /m);
			expect(result.stderr).not.toContain('internal error');
		}
	});

	it('gives a clear error for a file that is not a backup', () => {
		const file = path.join(tempDir(), 'notes.txt');
		fs.writeFileSync(file, 'hello');
		const result = verify(file);
		expect(result.code).toBe(5);
		expect(result.stderr.trim()).toBe(`lifeboat: ${file} is not a Lifeboat backup (neither zip, tar.gz, tar.zst, JSON bundle, encrypted backup nor folder)`);
		expect(runCli(['backup', 'verify', path.join(tempDir(), 'missing.zip')]).code).toBe(2);
	});
});

describe('verify with checkedElsewhere (a restore pass checks those entries itself)', () => {
	it('does not read those entries, and still checks their names and declared sizes against the manifest', async () => {
		const {verifyBackup} = await import('../source/core/backup/verify-backup.js');
		const {plainFileSource} = await import('../source/core/archive/archive-reader.js');
		const data = tempDir();
		await generateDemo({dir: data, tenants: 1, scale: 'small', seed: 98});
		const backup = await createBackup({dataDir: data, destDir: tempDir(), format: 'dir'});
		const file = path.join(backup.path, 'memory', 'entries.jsonl');
		const text = fs.readFileSync(file, 'utf8');
		// One byte changed, same size: only a read of the entry finds it.
		fs.writeFileSync(file, `${text.slice(0, -2)}${text.at(-2) === 'x' ? 'y' : 'x'}${text.slice(-1)}`);
		const {passChecksEntry} = await import('../source/core/restore/restore-pass.js');
		// As a restore of memory alone leaves to its pass.
		const memory = (name: string) => passChecksEntry(['memory'], name);
		expect((await verifyBackup(plainFileSource(backup.path), {rows: false})).problems).toEqual(['memory/entries.jsonl: checksum mismatch (file is corrupted)']);
		expect(await verifyBackup(plainFileSource(backup.path), {rows: false, checkedElsewhere: memory})).toMatchObject({ok: true, problems: []});
		// A size the manifest does not list, and a file it does not list: found without reading them.
		fs.appendFileSync(file, '\n');
		fs.writeFileSync(path.join(backup.path, 'memory', 'extra.jsonl'), '{}\n');
		const bytes = Buffer.byteLength(text);
		expect((await verifyBackup(plainFileSource(backup.path), {rows: false, checkedElsewhere: memory})).problems.slice(0, 2)).toEqual([
			`memory/entries.jsonl: size ${bytes + 1} does not match the manifest (${bytes})`,
			'memory/extra.jsonl: in the archive but not in the manifest',
		]);
	});
});
