/**
 * Issue 13: the parallel zip / tar.gz writer (archive-writer.ts, parallel-deflate.ts,
 * entry-encoders.ts, zip-records.ts). Real archives, read back byte for byte through Lifeboat's
 * own reader and through the stock tools (unzip, tar, gzip), over generated entry sets: empty,
 * 1-byte, block-boundary sizes, incompressible, highly compressible, many tiny entries, long and
 * non-ASCII names; zip64 records; manifest digests; failures that must reject.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {PassThrough, Writable} from 'node:stream';
import zlib from 'node:zlib';
import fc from 'fast-check';
import {afterAll, describe, expect, it} from 'vitest';
import {openArchive, plainFileSource} from '../source/core/archive/archive-reader.js';
import {createArchiveWriter, type WriterOptions} from '../source/core/archive/archive-writer.js';
import {BLOCK_SIZE} from '../source/core/archive/parallel-deflate.js';
import {createEncryptStream} from '../source/core/crypto/encrypt-stream.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {demoGateway, backupOf} from './restore-support.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-writer-'));
afterAll(() => fs.rmSync(work, {recursive: true, force: true}));
let counter = 0;
const fresh = (name: string) => path.join(work, `${counter++}-${name}`);

type Input = {name: string; content: Buffer; store: boolean; fromFile: boolean};

const SIZES = [0, 1, 2, 511, 512, 513, 32 * 1024, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 2 * BLOCK_SIZE - 1, 2 * BLOCK_SIZE + 1, 3 * BLOCK_SIZE];

/** Bytes of a kind: random (incompressible), text-like (compressible), zeros, or a repeated byte. */
function content(kind: number, size: number, seed: number): Buffer {
	if (kind === 0) {
		const out = Buffer.alloc(size);
		let state = seed * 2654435761 + 1;
		for (let index = 0; index < size; index++) {
			state = (state * 1103515245 + 12345) >>> 0;
			out[index] = state >>> 24;
		}
		return out;
	}
	if (kind === 1) {
		let text = '';
		for (let row = 0; text.length < size; row++) text += `{"id":"row_${seed}_${row}","text":"message ${(row * 7919 + seed) % 1000} of the day ✓"}\n`;
		return Buffer.from(text).subarray(0, size);
	}
	return Buffer.alloc(size, kind === 2 ? 0 : 0x61);
}

const segment = fc.stringMatching(/^[a-zA-Z0-9_é✓-][a-zA-Z0-9 ._é✓-]{0,40}$/).filter(value => value !== '.' && value !== '..' && !value.endsWith(' '));
const entryName = fc.array(segment, {minLength: 1, maxLength: 6}).map(parts => parts.join('/'));
const entryArb = fc.record({
	name: entryName,
	size: fc.oneof(fc.constantFrom(...SIZES), fc.integer({min: 0, max: 4000})),
	kind: fc.integer({min: 0, max: 3}),
	seed: fc.nat(),
	store: fc.boolean(),
	fromFile: fc.boolean(),
});
const entrySet = fc
	.array(entryArb, {minLength: 0, maxLength: 12})
	.map(entries => {
		const seen = new Set<string>();
		return entries.filter(entry => !seen.has(entry.name) && seen.add(entry.name) && ![...seen].some(other => other !== entry.name && (other.startsWith(entry.name + '/') || entry.name.startsWith(other + '/'))));
	})
	.map(entries => entries.map((entry): Input => ({name: entry.name, content: content(entry.kind, entry.size, entry.seed), store: entry.store, fromFile: entry.fromFile})));

async function writeArchive(format: 'zip' | 'tar.gz', inputs: Input[], extra: Partial<WriterOptions> = {}): Promise<{file: string; manifest: Array<{path: string; size: number; sha256: string}>; digest: {size: number; sha256: string}}> {
	const file = fresh(`archive.${format}`);
	const writer = createArchiveWriter({format, output: file, date: new Date('2026-03-04T05:06:07Z'), ...extra});
	const manifest = [];
	for (const input of inputs) {
		if (input.fromFile) {
			const source = fresh('source');
			fs.writeFileSync(source, input.content);
			manifest.push(await writer.addFile(input.name, source, {store: input.store}));
		} else {
			manifest.push(await writer.addBuffer(input.name, input.content));
		}
	}
	const digest = await writer.finish();
	return {file, manifest, digest};
}

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

async function readBack(file: string): Promise<Map<string, Buffer>> {
	const entries = new Map<string, Buffer>();
	for await (const entry of openArchive(plainFileSource(file)).entries()) {
		const chunks: Buffer[] = [];
		for await (const chunk of entry.open()) chunks.push(chunk as Buffer);
		entries.set(entry.path, Buffer.concat(chunks));
	}
	return entries;
}

function walk(root: string, prefix = ''): Map<string, Buffer> {
	const files = new Map<string, Buffer>();
	for (const entry of fs.readdirSync(path.join(root, prefix), {withFileTypes: true})) {
		const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
		if (entry.isDirectory()) for (const [name, bytes] of walk(root, relative)) files.set(name, bytes);
		else files.set(relative, fs.readFileSync(path.join(root, relative)));
	}
	return files;
}

function expectSame(actual: Map<string, Buffer>, inputs: Input[]): void {
	expect([...actual.keys()].sort()).toEqual(inputs.map(input => input.name).sort());
	for (const input of inputs) expect(sha256(actual.get(input.name)!), input.name).toBe(sha256(input.content));
}

function stockZip(file: string, inputs: Input[]): void {
	const test = spawnSync('unzip', ['-t', file], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
	expect(test.stdout + test.stderr).toMatch(inputs.length === 0 ? /empty|No errors/ : /No errors detected/);
	if (inputs.length === 0) return;
	const out = fresh('unzipped');
	fs.mkdirSync(out);
	execFileSync('unzip', ['-q', file, '-d', out]);
	expectSame(walk(out), inputs);
	// unzip reads a name that starts with '-' as an option (it has no `--`): piped out is an entry whose name does not.
	const piped = inputs.find(input => !input.name.startsWith('-'));
	if (piped) expect(sha256(execFileSync('unzip', ['-p', file, piped.name], {maxBuffer: 64 * 1024 * 1024}))).toBe(sha256(piped.content));
}

function stockTarGz(file: string, inputs: Input[]): void {
	execFileSync('gzip', ['-t', file]);
	const names = execFileSync('tar', ['tzf', file], {encoding: 'utf8'}).split('\n').filter(Boolean);
	expect(names).toEqual(inputs.map(input => input.name));
	const out = fresh('untarred');
	fs.mkdirSync(out);
	execFileSync('tar', ['xzf', file, '-C', out]);
	expectSame(walk(out), inputs);
}

describe('parallel archive writer', () => {
	it('writes zip and tar.gz that read back byte-identical through Lifeboat and the stock tools', async () => {
		await fc.assert(
			fc.asyncProperty(entrySet, async inputs => {
				for (const format of ['zip', 'tar.gz'] as const) {
					const {file, manifest, digest} = await writeArchive(format, inputs);
					expect(manifest).toEqual(inputs.map(input => ({path: input.name, size: input.content.length, sha256: sha256(input.content)})));
					const bytes = fs.readFileSync(file);
					expect(digest).toEqual({size: bytes.length, sha256: sha256(bytes)});
					expectSame(await readBack(file), inputs);
					if (format === 'zip') stockZip(file, inputs);
					else stockTarGz(file, inputs);
				}
			}),
			{numRuns: 10},
		);
	}, 240_000);

	it('keeps the ratio of one deflate stream across blocks (each block primed with the 32 KiB before it)', async () => {
		const text = content(1, 12 * BLOCK_SIZE + 123, 7);
		const {file} = await writeArchive('zip', [{name: 'rows.jsonl', content: text, store: false, fromFile: true}]);
		const whole = zlib.deflateRawSync(text, {level: 6}).length;
		expect(fs.statSync(file).size).toBeLessThan(whole * 1.01 + 200);
		const {file: tarFile} = await writeArchive('tar.gz', [{name: 'rows.jsonl', content: text, store: false, fromFile: true}]);
		expect(fs.statSync(tarFile).size).toBeLessThan(zlib.gzipSync(text, {level: 6}).length * 1.01 + 1024);
	});

	it('stores entries asked to be stored, deflates the others', async () => {
		const inputs = [
			{name: 'photo.png', content: content(0, 3 * BLOCK_SIZE + 5, 1), store: true, fromFile: true},
			{name: 'small.png', content: content(0, 100, 2), store: true, fromFile: true},
			{name: 'notes.md', content: content(1, 5000, 3), store: false, fromFile: true},
		];
		const {file} = await writeArchive('zip', inputs);
		const listing = execFileSync('unzip', ['-v', file], {encoding: 'utf8'}).split('\n');
		expect(listing.find(line => line.endsWith('photo.png'))).toMatch(/\bStored\b/);
		expect(listing.find(line => line.endsWith('small.png'))).toMatch(/\bStored\b/);
		expect(listing.find(line => line.endsWith('notes.md'))).toMatch(/\bDefl/);
	});

	it('writes zip64 records that unzip and Lifeboat accept (forced, on small data)', async () => {
		const inputs = SIZES.map((size, index) => ({name: `dir/entry-${index}.bin`, content: content(index % 4, size, index), store: index % 3 === 0, fromFile: index % 2 === 0}));
		for (const extra of [{expectedBytes: 4 * 1024 ** 3}, {zip64Entries: true}]) {
			const {file} = await writeArchive('zip', inputs, extra);
			const bytes = fs.readFileSync(file);
			// zip64 end of central directory record and locator
			expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
			expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true);
			expectSame(await readBack(file), inputs);
			stockZip(file, inputs);
		}
	});

	it('writes more than 65,535 entries with zip64 end records', async () => {
		const count = 65_600;
		const file = fresh('many.zip');
		const writer = createArchiveWriter({format: 'zip', output: file, date: new Date(0)});
		const source = fresh('tiny');
		fs.writeFileSync(source, 'x');
		for (let index = 0; index < count; index++) await writer.addFile(`f/${index}`, source, {store: true});
		await writer.finish();
		const test = spawnSync('unzip', ['-tq', file], {encoding: 'utf8'});
		expect(test.stdout).toMatch(/No errors detected/);
		let seen = 0;
		for await (const entry of openArchive(plainFileSource(file)).entries()) if (entry.size === 1) seen++;
		expect(seen).toBe(count);
	}, 120_000);

	it('rejects a file that shrank while read, and an output that fails; abort leaves no waiting', async () => {
		for (const format of ['zip', 'tar.gz'] as const) {
			// A real file cut short from outside once its first block has been read.
			const source = fresh('shrinking');
			fs.writeFileSync(source, content(1, 3 * BLOCK_SIZE, 1));
			let cut = false;
			const onBytes = () => {
				if (!cut) fs.truncateSync(source, BLOCK_SIZE + 10);
				cut = true;
			};
			const writer = createArchiveWriter({format, output: fresh(`shrink.${format}`), onBytes});
			await expect(writer.addFile('a.txt', source)).rejects.toThrow(/changed while being backed up \(262154 of 786432 bytes\)/);
			expect(cut).toBe(true);
			await expect(writer.finish()).rejects.toThrow(/changed while being backed up/);
			await writer.abort();
		}
		for (const format of ['zip', 'tar.gz'] as const) {
			const failing = new Writable({
				write(_chunk, _encoding, callback) {
					callback(new Error('disk on fire'));
				},
			});
			const writer = createArchiveWriter({format, output: failing});
			const adds = (async () => {
				for (let index = 0; index < 20; index++) await writer.addBuffer(`e${index}`, content(0, BLOCK_SIZE * 2, index));
				await writer.finish();
			})();
			await expect(adds).rejects.toThrow(/disk on fire/);
			await writer.abort();
		}
		const target = new PassThrough();
		const writer = createArchiveWriter({format: 'zip', output: target});
		await writer.addBuffer('a', content(1, 10, 1));
		await writer.abort();
		await expect(writer.addBuffer('b', content(1, 10, 1))).rejects.toThrow(/discarded/);
		expect(target.destroyed).toBe(true);
	});
});

/** Resolves once `condition` holds, checking after every turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
	while (!condition()) await new Promise(resolve => setImmediate(resolve));
}

describe('the writer against outputs that close or files that change', () => {
	it('fails, never waits forever, when its output is closed without an error (a discarded stream, a reader gone)', async () => {
		for (const format of ['zip', 'tar.gz', 'tar.zst'] as const) {
			for (const encrypted of [false, true]) {
				// Blocked on a full output that is then destroyed: no 'drain' and no 'error' will ever come.
				const unread = new PassThrough({highWaterMark: 64 * 1024});
				const outputTransform = encrypted ? await createEncryptStream({passphrase: 'pw', summary: {}, iterations: 1}) : undefined;
				const writer = createArchiveWriter({format, output: unread, outputTransform});
				const adds = (async () => {
					for (let index = 0; index < 40; index++) await writer.addBuffer(`e${index}`, content(0, BLOCK_SIZE, index));
					await writer.finish();
				})();
				adds.catch(() => undefined);
				await until(() => unread.writableNeedDrain);
				unread.destroy();
				await expect(adds).rejects.toThrow(/output closed before the archive was complete/);
				await writer.abort();
			}
			// Destroyed while finish() waits for the last bytes to be taken.
			const held: Array<() => void> = [];
			const stalled = new Writable({
				write(_chunk, _encoding, callback) {
					held.push(callback);
				},
			});
			const writer = createArchiveWriter({format, output: stalled});
			await writer.addBuffer('a.txt', content(1, 1000, 1));
			const finishing = writer.finish();
			finishing.catch(() => undefined);
			await until(() => stalled.writableEnded);
			stalled.destroy();
			await expect(finishing).rejects.toThrow(/output closed before the archive was complete/);
		}
	}, 20_000);

	it('archives a file replaced (renamed over) after it was asked for whole, never a prefix of the new one', async () => {
		for (const format of ['dir', 'zip', 'tar.gz'] as const) {
			for (const [before, after] of [[1000, 3000], [BLOCK_SIZE + 5, 3 * BLOCK_SIZE], [3000, 1000]] as const) {
				const source = fresh('replaced.md');
				const old = content(1, before, 1);
				const replacement = content(1, after, 2);
				fs.writeFileSync(source, old);
				const output = fresh(`replaced.${format}`);
				const writer = createArchiveWriter({format, output});
				const adding = writer.addFile('agents/a/notes.md', source);
				// An editor's atomic save: a new file renamed over the path, before the old one is read.
				const staged = fresh('staged.md');
				fs.writeFileSync(staged, replacement);
				fs.renameSync(staged, source);
				const entry = await adding;
				await writer.finish();
				const stored = format === 'dir' ? fs.readFileSync(path.join(output, 'agents/a/notes.md')) : (await readBack(output)).get('agents/a/notes.md')!;
				expect([sha256(old), sha256(replacement)], `${format} ${before}→${after}`).toContain(sha256(stored));
				expect(entry).toEqual({path: 'agents/a/notes.md', size: stored.length, sha256: sha256(stored)});
			}
		}
	});
});

describe('backup create --compression', () => {
	it('fast, default and best write archives that verify, smaller as the level rises; dir and unknown levels are refused', async () => {
		const dataDir = await demoGateway({tenants: 1});
		for (const format of ['zip', 'tar.gz'] as const) {
			const sizes: number[] = [];
			for (const compression of ['fast', 'default', 'best'] as const) {
				const backup = await backupOf(dataDir, {format, compression});
				expect((await verifyBackup(backup.source)).problems).toEqual([]);
				sizes.push(fs.statSync(backup.path).size);
			}
			expect(sizes[0]).toBeGreaterThan(sizes[1]!);
			expect(sizes[1]).toBeGreaterThanOrEqual(sizes[2]!);
		}
		const dest = fresh('dest');
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--compression', 'max']), 2, /Unknown --compression max \(use fast, default, best\)/);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--format', 'dir', '--compression', 'best']), 2, /--compression applies to zip, tar.gz and tar.zst/);
		expect(fs.existsSync(dest) ? fs.readdirSync(dest) : []).toEqual([]);
	}, 120_000);
});
