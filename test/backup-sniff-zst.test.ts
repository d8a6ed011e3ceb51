/**
 * `--force` replaces a Lifeboat backup, never anything else, and `backup delete` deletes only a
 * backup: for tar.zst too, whose first 4 KiB usually cannot be decoded (zstd decodes whole blocks
 * of up to 128 KiB). A foreign tar.zst is never taken for a backup on its magic alone.
 */
import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import fc from 'fast-check';
import tarStream from 'tar-stream';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {remoteSink} from '../source/core/backup/backup-sink.js';
import {isLifeboatBackup, looksLikeLifeboatBackup} from '../source/core/backup/backup-sniff.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {deleteBackup} from '../source/core/backup/delete-backup.js';
import {openS3Destination} from '../source/core/destinations/s3.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway} from './restore-support.js';
import {startS3Server, type S3Server} from './servers/s3-server.js';

const hasZstd = spawnSync('zstd', ['--version']).status === 0;

/** A tar of `entries`, compressed by the stock zstd program. */
async function tarZst(entries: Array<{name: string; content: Buffer}>, level: number): Promise<Buffer> {
	const pack = tarStream.pack();
	for (const entry of entries) pack.entry({name: entry.name, size: entry.content.length}, entry.content);
	pack.finalize();
	const chunks: Buffer[] = [];
	for await (const chunk of pack) chunks.push(chunk as Buffer);
	return spawnSync('zstd', ['-q', '-c', `-${level}`], {input: Buffer.concat(chunks), maxBuffer: 64 * 1024 * 1024}).stdout;
}

/** Text that compresses, but not to nothing: the first zstd block is well over 4 KiB. */
function text(seed: number, length: number): Buffer {
	const words = ['alpha', 'beta', 'gamma', 'delta', 'kind', 'lifeboat', '{', '}', '"', 'metadata', 'json', 'notes'];
	let state = seed >>> 0 || 1;
	const out: string[] = [];
	let size = 0;
	while (size < length) {
		state = (state * 1103515245 + 12345) >>> 0;
		const word = `${words[state % words.length]}${state % 97} `;
		out.push(word);
		size += word.length;
	}
	return Buffer.from(out.join('').slice(0, length));
}

/** Foreign tar.zst files: metadata.json-like names and contents included, never Lifeboat's. */
const foreignTarZst = fc.record({
	name: fc.constantFrom('notes.txt', 'metadata.json', 'package/metadata.json', 'data.bin'),
	seed: fc.integer(),
	length: fc.integer({min: 40_000, max: 400_000}),
	level: fc.constantFrom(1, 3, 19),
	json: fc.boolean(),
});

describe.skipIf(!hasZstd)('telling a Lifeboat tar.zst from another tar.zst', () => {
	let s3: S3Server;
	let backup: Buffer;
	beforeAll(async () => {
		const dataDir = await demoGateway({tenants: 1, seed: 49});
		backup = fs.readFileSync((await createBackup({dataDir, out: path.join(tempDir(), 'b.tar.zst'), format: 'tar.zst'})).path);
		s3 = await startS3Server({buckets: ['sniff']});
	}, 120_000);
	afterAll(async () => s3?.stop());

	it('4 KiB of a foreign tar.zst is never "a backup" (the magic alone proves nothing)', async () => {
		await fc.assert(
			fc.asyncProperty(foreignTarZst, async ({name, seed, length, level, json}) => {
				const content = json ? Buffer.concat([Buffer.from('{"kind":"something-else","x":"'), text(seed, length), Buffer.from('"}')]) : text(seed, length);
				const bytes = await tarZst([{name, content}], level);
				expect(looksLikeLifeboatBackup(bytes.subarray(0, 4096))).toBe(false);
				expect(looksLikeLifeboatBackup(bytes)).toBe(false);
				const file = path.join(tempDir(), 'foreign.tar.zst');
				fs.writeFileSync(file, bytes);
				expect(isLifeboatBackup(file)).toBe(false);
			}),
			{numRuns: 12},
		);
	});

	it('a real backup is told from its first zstd block', () => {
		expect(backup.length).toBeGreaterThan(4096);
		expect(looksLikeLifeboatBackup(backup.subarray(0, 256 * 1024))).toBe(true);
		const file = path.join(tempDir(), 'real.tar.zst');
		fs.writeFileSync(file, backup);
		expect(isLifeboatBackup(file)).toBe(true);
	});

	it('at a remote destination: --force replaces a tar.zst backup, not a foreign tar.zst; delete likewise', async () => {
		const destination = openS3Destination({bucket: 'sniff', prefix: 'force/'}, {env: s3.env});
		const foreign = await tarZst([{name: 'notes.txt', content: text(7, 300_000)}], 3);
		expect(foreign.length).toBeGreaterThan(4096);
		await destination.put('foreign.tar.zst', Readable.from([foreign]));
		await destination.put('real.tar.zst', Readable.from([backup]));
		await expect(remoteSink(destination, 'foreign.tar.zst', {force: true})).rejects.toThrow('s3://sniff/force/foreign.tar.zst exists and is not a Lifeboat backup; --force only replaces backups');
		// Accepted: the sink is made (its scratch folder is all there is to remove before it is opened).
		const sink = await remoteSink(destination, 'real.tar.zst', {force: true});
		fs.rmSync(sink.workDir, {recursive: true, force: true});
		await expect(deleteBackup(destination, 'foreign.tar.zst')).rejects.toThrow('s3://sniff/force/foreign.tar.zst is not a Lifeboat backup; it was not deleted');
		await deleteBackup(destination, 'real.tar.zst');
		expect((await destination.list()).map(object => object.name)).toEqual(['foreign.tar.zst']);
		await destination.close();
	}, 60_000);

	it('without the zstd program, a tar.zst cannot be told: refused with one line saying what to install', () => {
		const saved = process.env['PATH'];
		process.env['PATH'] = path.join(tempDir(), 'empty-bin');
		try {
			expect(() => looksLikeLifeboatBackup(backup.subarray(0, 4096))).toThrow(/needs the zstd program, which is not installed \(install the zstd package/);
			const file = path.join(tempDir(), 'real.tar.zst');
			fs.writeFileSync(file, backup);
			expect(() => isLifeboatBackup(file)).toThrow(/needs the zstd program/);
		} finally {
			process.env['PATH'] = saved;
		}
	});
});
