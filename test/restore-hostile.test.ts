import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {ZipArchive} from 'archiver';
import tarStream from 'tar-stream';
import {beforeAll, describe, expect, it} from 'vitest';
import {plainFileSource, type ArchiveSource} from '../source/core/archive/archive-reader.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import type {RestoreOptions} from '../source/core/restore/index.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, copyGateway, demoGateway, freshGateway, storeDigest} from './restore-support.js';

/** Rewrites one file of a folder backup and fixes manifest.json (and totals) so only restore's own checks can catch it. */
function rewriteDirBackup(dir: string, archivePath: string, content: string): void {
	const file = path.join(dir, ...archivePath.split('/'));
	const oldSize = fs.statSync(file).size;
	fs.writeFileSync(file, content);
	const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
	const metadataFile = path.join(dir, 'metadata.json');
	const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8'));
	const delta = Buffer.byteLength(content) - oldSize;
	metadata.totalBytes += delta;
	fs.writeFileSync(metadataFile, JSON.stringify(metadata, null, 2) + '\n');
	manifest.totalBytes += delta;
	for (const entry of manifest.files) {
		const full = path.join(dir, ...entry.path.split('/'));
		if (entry.path === archivePath || entry.path === 'metadata.json') {
			const bytes = fs.readFileSync(full);
			entry.size = bytes.length;
			entry.sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
		}
	}
	fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

async function writeZip(file: string, entries: Array<[string, Buffer]>): Promise<void> {
	const archive = new ZipArchive({zlib: {level: 9}});
	const out = fs.createWriteStream(file);
	archive.pipe(out);
	for (const [name, content] of entries) archive.append(content, {name});
	await archive.finalize();
	await new Promise(resolve => out.on('close', resolve));
}

describe('restore refuses hostile or unusable input and writes nothing', () => {
	let original: string;
	let zip: string;
	let metadataText: Buffer;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 71});
		zip = (await backupOf(original, {format: 'zip'})).path;
		metadataText = fs.readFileSync(path.join((await backupOf(original, {format: 'dir', categories: ['agents']})).path, 'metadata.json'));
	});

	async function expectRefused(source: ArchiveSource, code: string, message: RegExp, extra: Partial<RestoreOptions> = {}): Promise<void> {
		const dataDir = copyGateway(original);
		const before = storeDigest(dataDir);
		await expect(planRestore({source, dataDir, ...extra})).rejects.toMatchObject({code, message: expect.stringMatching(message)});
		await expect(applyRestore({source, dataDir, ...extra})).rejects.toMatchObject({code, message: expect.stringMatching(message)});
		await expect(applyRestore({source, dataDir, mode: 'replace', ...extra})).rejects.toMatchObject({code});
		expect(storeDigest(dataDir)).toEqual(before);
		expect(fs.readdirSync(dataDir).filter(name => name === 'quarantine' || name === '.lifeboat-restore')).toEqual([]);
	}

	it('a zip-slip entry (../) and an absolute entry', async () => {
		const bytes = fs.readFileSync(zip);
		const name = Buffer.from('agents/agents.jsonl');
		for (const evil of ['../../../evil.jsonl', '/tmp/lifeboat-evil1']) {
			expect(evil.length).toBe(name.length);
			const copy = Buffer.from(bytes);
			let at = copy.indexOf(name);
			let replaced = 0;
			while (at !== -1) {
				Buffer.from(evil).copy(copy, at);
				replaced++;
				at = copy.indexOf(name, at + 1);
			}
			expect(replaced).toBe(2); // local header and central directory
			const file = path.join(tempDir(), 'slip.zip');
			fs.writeFileSync(file, copy);
			await expectRefused(plainFileSource(file), 'unsafe-archive', evil.startsWith('/') ? /absolute path/ : /escapes the archive/);
		}
	});

	it('a symlink in a tar.gz', async () => {
		const pack = tarStream.pack();
		pack.entry({name: 'metadata.json'}, metadataText);
		pack.entry({name: 'agents/agt_evil/SOUL.md', type: 'symlink', linkname: '/etc/passwd'});
		pack.entry({name: 'manifest.json'}, '{}');
		pack.finalize();
		const file = path.join(tempDir(), 'link.tar.gz');
		const chunks: Buffer[] = [];
		for await (const chunk of pack.pipe(zlib.createGzip())) chunks.push(chunk as Buffer);
		fs.writeFileSync(file, Buffer.concat(chunks));
		await expectRefused(plainFileSource(file), 'unsafe-archive', /symlink/);
	});

	it('a decompression bomb', async () => {
		const file = path.join(tempDir(), 'bomb.zip');
		await writeZip(file, [
			['metadata.json', metadataText],
			['agents/agt_bomb/SOUL.md', Buffer.alloc(64 * 1024 * 1024)],
			['manifest.json', Buffer.from('{}')],
		]);
		await expectRefused(plainFileSource(file), 'unsafe-archive', /decompression bomb/);
	});

	it('a truncated zip and a truncated tar.gz', async () => {
		const cutZip = path.join(tempDir(), 'cut.zip');
		fs.writeFileSync(cutZip, fs.readFileSync(zip).subarray(0, Math.floor(fs.statSync(zip).size / 2)));
		await expectRefused(plainFileSource(cutZip), 'corrupt-archive', /./);
		const tar = (await backupOf(original, {format: 'tar.gz'})).path;
		const cutTar = path.join(tempDir(), 'cut.tar.gz');
		fs.writeFileSync(cutTar, fs.readFileSync(tar).subarray(0, Math.floor(fs.statSync(tar).size * 0.6)));
		await expectRefused(plainFileSource(cutTar), 'corrupt-archive', /truncated|corrupt/);
	});

	it('an unknown schema version', async () => {
		const dir = (await backupOf(original, {format: 'dir'})).path;
		const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
		metadata.schemaVersion = 99;
		fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(metadata));
		await expectRefused(plainFileSource(dir), 'unsupported-version', /schema version 99/);
	});

	it('a tampered file (checksum mismatch) is refused by verify before any write', async () => {
		const dir = (await backupOf(original, {format: 'dir'})).path;
		fs.appendFileSync(path.join(dir, 'memory', 'entries.jsonl'), '\n');
		await expectRefused(plainFileSource(dir), 'corrupt-archive', /memory\/entries\.jsonl.*(size|checksum)/);
	});

	it('rows that pass the manifest but not the schema: unknown tenant, bad JSON, missing column', async () => {
		const cases: Array<[string, (line: Record<string, unknown>) => string, RegExp]> = [
			['a row of a tenant metadata.json does not list', line => JSON.stringify({...line, tenant_id: 'ten_intruder'}), /tenant ten_intruder, which metadata\.json does not list/],
			['not JSON', () => '{"id": "mem_x", ', /line 1: not valid JSON/],
			['a missing column', line => JSON.stringify({...line, content: undefined}), /missing column content/],
			['an extra column', line => JSON.stringify({...line, evil: 1}), /unknown column evil/],
		];
		for (const [, rewrite, message] of cases) {
			const dir = (await backupOf(original, {format: 'dir', categories: ['agents', 'memory']})).path;
			const lines = fs.readFileSync(path.join(dir, 'memory', 'entries.jsonl'), 'utf8').trim().split('\n');
			lines[0] = rewrite(JSON.parse(lines[0]!) as Record<string, unknown>);
			rewriteDirBackup(dir, 'memory/entries.jsonl', lines.join('\n') + '\n');
			await expectRefused(plainFileSource(dir), 'corrupt-archive', message);
		}
	});

	it('categories that are unknown or not in the backup, and a tenant missing from the gateway', async () => {
		const memoryOnly = await backupOf(original, {format: 'zip', categories: ['memory']});
		await expectRefused(memoryOnly.source, 'unknown-category', /Category users not in this backup \(it holds: memory\)/, {only: ['users']});
		await expectRefused(memoryOnly.source, 'unknown-category', /Unknown category bogus/, {only: ['bogus']});
		const fresh = freshGateway();
		const before = storeDigest(fresh);
		await expect(applyRestore({source: memoryOnly.source, dataDir: fresh})).rejects.toMatchObject({code: 'unknown-tenant', message: expect.stringMatching(/not on this gateway; include the users category/)});
		expect(storeDigest(fresh)).toEqual(before);
	});
});
