/**
 * Reading backups that are not local files: everything through a RangedBlob, with every byte
 * fetched counted. Verify, dry run and restore through a blob match the same through the path;
 * listing reads a few KiB per backup; hostile heads cost bounded bytes and one clear line.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {PassThrough, Readable, Transform} from 'node:stream';
import zlib from 'node:zlib';
import fc from 'fast-check';
import {beforeAll, describe, expect, it, vi} from 'vitest';
import {blobZipSource, bufferBlob, fileBlob, type RangedBlob} from '../source/core/archive/ranged-blob.js';
import {openBackupSource} from '../source/core/backup/backup-source.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {listBackups} from '../source/core/backup/list-backups.js';
import {readBackupSummary, SUMMARY_READ_LIMIT} from '../source/core/backup/read-summary.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {createDecryptStream, openEncryptedRandomAccess} from '../source/core/crypto/decrypt-stream.js';
import {createEncryptStream} from '../source/core/crypto/encrypt-stream.js';
import {LifeboatError} from '../source/core/errors.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {writeTarGz, writeZip} from './helpers/hostile-archives.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway, freshGateway, storeDigest} from './restore-support.js';

const PASSPHRASE = 'correct horse battery staple';

type Counted = {
	blob: RangedBlob;
	rangeCalls: number;
	readCalls: number;
	/** Bytes handed out, ranges and streams together. */
	bytes: number;
	/** Times each byte was fetched. */
	coverage: Uint16Array;
	/** Every request: [offset, length] (length -1 for a stream to the end). */
	requests: Array<[number, number]>;
};

/** A blob that counts what is fetched from the one it wraps. */
function counting(inner: RangedBlob): Counted {
	const counted: Counted = {
		rangeCalls: 0,
		readCalls: 0,
		bytes: 0,
		coverage: new Uint16Array(inner.size),
		requests: [],
		blob: {
			label: inner.label,
			size: inner.size,
			async readRange(offset, length) {
				counted.rangeCalls++;
				counted.requests.push([offset, length]);
				const bytes = await inner.readRange(offset, length);
				counted.bytes += bytes.length;
				for (let index = offset; index < offset + bytes.length; index++) counted.coverage[index]!++;
				return bytes;
			},
			async read(offset) {
				counted.readCalls++;
				counted.requests.push([offset, -1]);
				let position = offset;
				const tap = new Transform({
					transform(chunk: Buffer, _encoding, callback) {
						counted.bytes += chunk.length;
						for (let index = position; index < position + chunk.length; index++) counted.coverage[index]!++;
						position += chunk.length;
						callback(null, chunk);
					},
				});
				const source = await inner.read(offset);
				source.on('error', error => tap.destroy(error));
				return source.pipe(tap);
			},
		},
	};
	return counted;
}

async function countedFile(file: string): Promise<Counted> {
	return counting(await fileBlob(file));
}

async function collect(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

async function refusal(promise: Promise<unknown>): Promise<LifeboatError> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(LifeboatError);
		return error as LifeboatError;
	}
	throw new Error('expected a refusal');
}

const KINDS = [
	{name: 'zip', format: 'zip', encrypted: false},
	{name: 'tar.gz', format: 'tar.gz', encrypted: false},
	{name: 'encrypted zip', format: 'zip', encrypted: true},
	{name: 'encrypted tar.gz', format: 'tar.gz', encrypted: true},
] as const;

let gateway: string;
const backups: Record<string, string> = {};
let backupDir: string;

beforeAll(async () => {
	gateway = await demoGateway({tenants: 2, seed: 41});
	backupDir = tempDir('lifeboat-ranged-');
	for (const kind of KINDS) {
		const suffix = `.${kind.format}${kind.encrypted ? '.enc' : ''}`;
		const result = await createBackup({dataDir: gateway, out: path.join(backupDir, `backup-${kind.encrypted ? 'enc-' : ''}${kind.format.replace('.', '-')}${suffix}`), format: kind.format, passphrase: kind.encrypted ? PASSPHRASE : undefined, kdfIterations: 1000});
		backups[kind.name] = result.path;
	}
}, 120_000);

const passphraseOf = (kind: (typeof KINDS)[number]) => (kind.encrypted ? PASSPHRASE : undefined);

describe('verify, dry run and restore through a blob', () => {
	for (const kind of KINDS) {
		it(`${kind.name}: the same results as through the path`, async () => {
			const file = backups[kind.name]!;
			const passphrase = passphraseOf(kind);
			const byPath = await verifyBackup(await openBackupSource(file, {passphrase}));
			const counted = await countedFile(file);
			const byBlob = await verifyBackup(await openBackupSource(counted.blob, {passphrase}));
			expect(byPath.ok).toBe(true);
			expect(byBlob.problems).toEqual([]);
			expect({...byBlob, metadata: undefined}).toEqual({...byPath, metadata: undefined});
			expect(byBlob.metadata).toEqual(byPath.metadata);
			const size = fs.statSync(file).size;
			// Each byte at most ~twice: the tail (end record, central directory, manifest) is read again when verify walks the entries.
			expect(counted.bytes).toBeLessThanOrEqual(2 * size + 64 * 1024);
			if (kind.format === 'tar.gz') expect(counted.readCalls).toBe(1);
			else expect(counted.readCalls).toBe(0);

			const keyFile = path.join(gateway, 'keys', 'backup.key');
			const plan = async (source: Awaited<ReturnType<typeof openBackupSource>>) => {
				const {durationMs: _ignored, ...rest} = (await planRestore({source, dataDir: freshGateway(), keyFile, passphrase})) as {durationMs?: number} & Record<string, unknown>;
				return rest;
			};
			expect(await plan(await openBackupSource(counting(await fileBlob(file)).blob, {passphrase}))).toEqual(await plan(await openBackupSource(file, {passphrase})));

			const viaPath = freshGateway();
			const viaBlob = freshGateway();
			const restoredByPath = await applyRestore({source: await openBackupSource(file, {passphrase}), dataDir: viaPath, keyFile, passphrase});
			const restoredByBlob = await applyRestore({source: await openBackupSource((await countedFile(file)).blob, {passphrase}), dataDir: viaBlob, keyFile, passphrase});
			expect(restoredByBlob.applied).toEqual(restoredByPath.applied);
			expect(restoredByBlob.applied.inserted).toBeGreaterThan(0);
			// audit_log holds the restore's own id and time.
			const tables = (dataDir: string) => ({...storeDigest(dataDir).tables, audit_log: undefined});
			expect(tables(viaBlob)).toEqual(tables(viaPath));
			expect(Object.keys(storeDigest(viaBlob).files).length).toBe(Object.keys(storeDigest(viaPath).files).length);
		}, 120_000);
	}

	it('a plain zip verify fetches each byte at most twice, in few requests', async () => {
		const file = backups['zip']!;
		const counted = await countedFile(file);
		expect((await verifyBackup(await openBackupSource(counted.blob))).ok).toBe(true);
		expect(counted.coverage.reduce((most, times) => Math.max(most, times), 0)).toBeLessThanOrEqual(2);
		expect(counted.coverage.every(times => times >= 1)).toBe(true);
		// The end record, the central directory, manifest.json, then the entries in doubling blocks.
		expect(counted.rangeCalls).toBeLessThanOrEqual(16);
	});

	it('an error of the blob fails the read with its own message', async () => {
		const file = backups['zip']!;
		const inner = await fileBlob(file);
		let calls = 0;
		const failing: RangedBlob = {
			...inner,
			async readRange(offset, length) {
				if (++calls > 3) throw new LifeboatError('destination', 's3://bucket/backup.zip: connection reset (retried 3 times)');
				return inner.readRange(offset, length);
			},
		};
		const result = await verifyBackup(await openBackupSource(failing));
		expect(result.ok).toBe(false);
		expect(result.problems.join('\n')).toContain('connection reset');
	});

	it('a blob that is not a backup is refused in the same words as a file', async () => {
		const blob = bufferBlob(Buffer.from('hello, not a backup'), 's3://bucket/notes.zip');
		expect((await refusal(openBackupSource(blob))).message).toBe('s3://bucket/notes.zip is not a Lifeboat backup (neither zip, tar.gz, tar.zst, JSON bundle, encrypted backup nor folder)');
		const encrypted = bufferBlob(fs.readFileSync(backups['encrypted zip']!), 's3://bucket/x.zip.enc');
		const error = await refusal(openBackupSource(encrypted));
		expect(error.code).toBe('passphrase-required');
		expect(error.message).toMatch(/^s3:\/\/bucket\/x\.zip\.enc is encrypted: /);
		expect((await refusal(openBackupSource(encrypted, {passphrase: 'wrong'}))).code).toBe('wrong-passphrase');
	});
});

describe('listing reads only the summary', () => {
	it('each kind: at most 16 KiB (a few), one or two requests, the same summary as the listing of the folder', async () => {
		const listed = await listBackups(backupDir);
		const measured: Record<string, number> = {};
		for (const kind of KINDS) {
			const file = backups[kind.name]!;
			const counted = await countedFile(file);
			const read = await readBackupSummary(counted.blob);
			const listing = listed.find(entry => entry.path === file)!;
			expect(listing.error).toBeUndefined();
			expect(read.summary).toEqual(listing.summary);
			expect(read.metadata).toEqual(listing.metadata);
			expect(read.encrypted).toBe(kind.encrypted);
			expect(read.format).toBe(kind.format);
			expect(counted.readCalls).toBe(0);
			expect(counted.bytes).toBeLessThanOrEqual(16 * 1024);
			expect(counted.rangeCalls).toBeLessThanOrEqual(2);
			measured[kind.name] = counted.bytes;
		}
		console.log(`bytes read per listing: ${JSON.stringify(measured)}`);
	});

	it('a large metadata.json (thousands of tenants) is read by growing ranges, never the whole archive', async () => {
		const {metadata} = await readBackupSummary(await fileBlob(backups['zip']!));
		const large = {...metadata!, tenants: [...metadata!.tenants, ...Array.from({length: 3000}, (_, index) => ({id: crypto.randomBytes(16).toString('hex'), slug: `tenant-${index}`, name: crypto.randomBytes(24).toString('base64')}))]};
		const text = Buffer.from(JSON.stringify(large, null, 2) + '\n');
		const rest = crypto.randomBytes(2 * 1024 * 1024);
		const dir = tempDir();
		await writeZip(path.join(dir, 'large.zip'), [{name: 'metadata.json', content: text}, {name: 'data.bin', content: rest}]);
		await writeTarGz(path.join(dir, 'large.tar.gz'), [{header: {name: 'metadata.json', size: text.length, type: 'file'}, content: text}, {header: {name: 'data.bin', size: rest.length, type: 'file'}, content: rest}]);
		for (const name of ['large.zip', 'large.tar.gz']) {
			const counted = await countedFile(path.join(dir, name));
			const read = await readBackupSummary(counted.blob);
			expect(read.metadata).toEqual(large);
			expect(read.summary.tenants).toBe(large.tenants.length);
			// Doubling from 2 KiB: at most twice the compressed metadata.json, and a handful of requests.
			const compressed = name.endsWith('.zip') ? zlib.deflateRawSync(text).length : zlib.gzipSync(text).length;
			expect(counted.bytes).toBeLessThanOrEqual(2 * compressed + 4096);
			expect(counted.rangeCalls).toBeLessThanOrEqual(10);
		}
	});
});

describe('hostile heads for readBackupSummary', () => {
	const oneLine = (error: LifeboatError, label: string) => {
		expect(['corrupt-archive', 'unsupported-version']).toContain(error.code);
		expect(error.message).not.toContain('\n');
		expect(error.message.startsWith(label)).toBe(true);
	};

	it('random bytes, whatever the name: one line, a few KiB read', async () => {
		await fc.assert(
			fc.asyncProperty(fc.uint8Array({minLength: 0, maxLength: 20_000}), fc.constantFrom('x.zip', 'x.tar.gz', 'x.zip.enc', 'x'), fc.constantFrom<number[]>([], [0x50, 0x4b, 3, 4], [0x1f, 0x8b, 8, 0]), async (body, name, magic) => {
				const counted = counting(bufferBlob(Buffer.concat([Buffer.from(magic), Buffer.from(body)]), `s3://b/${name}`));
				oneLine(await refusal(readBackupSummary(counted.blob)), `s3://b/${name}`);
				expect(counted.bytes).toBeLessThanOrEqual(64 * 1024);
			}),
			{numRuns: 200},
		);
	});

	it('truncated heads of real backups of each kind', async () => {
		for (const kind of KINDS) {
			const bytes = fs.readFileSync(backups[kind.name]!);
			for (const length of [0, 1, 12, 13, 29, 30, 60, 200, 600, 1000, 1500]) {
				const counted = counting(bufferBlob(bytes.subarray(0, length), `cut-${length}`));
				let outcome: unknown;
				try {
					outcome = await readBackupSummary(counted.blob);
				} catch (error) {
					outcome = error;
				}
				// Either the summary was whole within the cut, or a one-line refusal.
				if (outcome instanceof LifeboatError) oneLine(outcome, `cut-${length}`);
				else expect((outcome as {summary: {kind: string}}).summary.kind).toBe('lifeboat-backup');
				expect(counted.bytes).toBeLessThanOrEqual(length);
			}
		}
	});

	it('a zip whose first entry is not metadata.json, or is not Lifeboat\'s', async () => {
		const dir = tempDir();
		const cases: Array<[string, Array<{name: string; content: Buffer}>, RegExp]> = [
			['other-first.zip', [{name: 'notes.txt', content: Buffer.from('hi')}, {name: 'metadata.json', content: Buffer.from('{}')}], /its first entry is not metadata\.json/],
			['foreign.zip', [{name: 'metadata.json', content: Buffer.from(JSON.stringify({kind: 'something-else', padding: 'x'.repeat(100)}))}], /does not begin like Lifeboat's/],
			['bomb.zip', [{name: 'metadata.json', content: Buffer.alloc(50 * 1024 * 1024)}], /too large|does not begin like Lifeboat's/],
		];
		for (const [name, entries, message] of cases) {
			const file = path.join(dir, name);
			await writeZip(file, entries);
			const counted = await countedFile(file);
			const error = await refusal(readBackupSummary(counted.blob));
			oneLine(error, file);
			expect(error.message).toMatch(message);
			expect(counted.bytes).toBeLessThanOrEqual(16 * 1024);
		}
	});

	it('a zip whose first entry declares a 64 KiB name or extra field', async () => {
		const header = Buffer.alloc(30);
		header.writeUInt32LE(0x04034b50, 0);
		header.writeUInt16LE(8, 8);
		header.writeUInt16LE(0xffff, 26);
		const longName = counting(bufferBlob(Buffer.concat([header, crypto.randomBytes(200_000)]), 'long-name.zip'));
		expect((await refusal(readBackupSummary(longName.blob))).message).toMatch(/first entry is not metadata\.json/);
		expect(longName.bytes).toBeLessThanOrEqual(8 * 1024);
		header.writeUInt16LE(13, 26);
		header.writeUInt16LE(0xffff, 28);
		const longExtra = counting(bufferBlob(Buffer.concat([header, Buffer.from('metadata.json'), crypto.randomBytes(200_000)]), 'long-extra.zip'));
		oneLine(await refusal(readBackupSummary(longExtra.blob)), 'long-extra.zip');
		expect(longExtra.bytes).toBeLessThanOrEqual(256 * 1024);
	});

	it('a gzip bomb head: refused after a few KiB, its inflating bounded', async () => {
		const zeros = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024), {level: 9});
		const counted = counting(bufferBlob(zeros, 'bomb.tar.gz'));
		const error = await refusal(readBackupSummary(counted.blob));
		oneLine(error, 'bomb.tar.gz');
		expect(error.message).toMatch(/does not begin with a tar entry/);
		expect(counted.bytes).toBeLessThanOrEqual(16 * 1024);

		// A real tar header for metadata.json declaring 8 MiB, then zeros: refused from the first bytes of its content.
		const tarHeader = Buffer.alloc(512);
		tarHeader.write('metadata.json', 0);
		tarHeader.write('0000644\0', 100);
		tarHeader.write(`${(8 * 1024 * 1024).toString(8).padStart(11, '0')}\0`, 124);
		tarHeader.write('0', 156);
		tarHeader.write('        ', 148);
		let sum = 0;
		for (const byte of tarHeader) sum += byte;
		tarHeader.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
		const bomb = zlib.gzipSync(Buffer.concat([tarHeader, Buffer.alloc(8 * 1024 * 1024)]), {level: 9});
		const counted2 = counting(bufferBlob(bomb, 'bomb2.tar.gz'));
		expect((await refusal(readBackupSummary(counted2.blob))).message).toMatch(/does not begin like Lifeboat's/);
		expect(counted2.bytes).toBeLessThanOrEqual(16 * 1024);
	});

	it('never reads past its limit, whatever the blob', () => {
		expect(SUMMARY_READ_LIMIT).toBeLessThan(9 * 1024 * 1024);
	});
});

describe('blobZipSource', () => {
	it('any range reads the bytes a direct file read gives', async () => {
		const file = backups['zip']!;
		const bytes = fs.readFileSync(file);
		const counted = await countedFile(file);
		const zip = blobZipSource(counted.blob, {minBlock: 1024, maxBlock: 16 * 1024});
		await fc.assert(
			fc.asyncProperty(fc.integer({min: 0, max: bytes.length + 10}), fc.option(fc.integer({min: 0, max: 100_000}), {nil: undefined}), async (offset, length) => {
				const expected = bytes.subarray(offset, length === undefined ? undefined : offset + length);
				expect((await collect(zip.stream(offset, length))).equals(expected)).toBe(true);
			}),
			{numRuns: 200},
		);
	});

	it('an abandoned stream fetches nothing more, and reads only what its consumer pulled', async () => {
		const big = crypto.randomBytes(32 * 1024 * 1024);
		const counted = counting(bufferBlob(big, 'big.zip'));
		const zip = blobZipSource(counted.blob);
		const stream = zip.stream(0);
		const sink = new PassThrough({highWaterMark: 1024});
		stream.pipe(sink);
		const first = await new Promise<Buffer>(resolve => sink.once('readable', () => resolve(sink.read(10) as Buffer)));
		expect(first.equals(big.subarray(0, 10))).toBe(true);
		// Left unread (not destroyed, as unzipper leaves its streams): let every pending callback run.
		const fetched = counted.bytes;
		for (let turn = 0; turn < 50; turn++) await new Promise(resolve => setImmediate(resolve));
		expect(counted.bytes).toBe(fetched);
		expect(counted.bytes).toBeLessThanOrEqual(64 * 1024);
		expect(counted.readCalls).toBe(0);
	});

	it('reading sequentially doubles the requests up to the largest block', async () => {
		const big = crypto.randomBytes(20 * 1024 * 1024);
		const counted = counting(bufferBlob(big, 'big.zip'));
		expect((await collect(blobZipSource(counted.blob).stream(0))).equals(big)).toBe(true);
		expect(counted.bytes).toBe(big.length);
		expect(counted.rangeCalls).toBeLessThanOrEqual(12);
	});
});

describe('encrypted random access over a blob', () => {
	it('a backup replaced while it is read says so, sequentially and by ranges', async () => {
		const plaintext = crypto.randomBytes(300_000);
		const encrypt = async () => {
			const stream = await createEncryptStream({passphrase: PASSPHRASE, summary: {kind: 'test'}, segmentSize: 4096, iterations: 1000});
			return collect(Readable.from([plaintext]).pipe(stream));
		};
		const [first, second] = [await encrypt(), await encrypt()];
		expect(second.length).toBe(first.length);
		let current = first;
		const swappable: RangedBlob = {
			label: 's3://b/swapped.zip.enc',
			size: first.length,
			readRange: async (offset, length) => Buffer.from(current.subarray(offset, offset + length)),
			read: async offset => Readable.from([Buffer.from(current.subarray(offset))]),
		};
		const access = await openEncryptedRandomAccess(swappable, PASSPHRASE);
		const sequential = await createDecryptStream(swappable, PASSPHRASE);
		expect((await access.readRange(0, 10_000)).equals(plaintext.subarray(0, 10_000))).toBe(true);
		current = second;
		const changed = 'encrypted backup changed while it was being read';
		expect((await refusal(access.readRange(100_000, 10_000))).message).toBe(changed);
		expect((await refusal(collect(sequential))).message).toBe(changed);
		// Damage, not a swap, is still damage.
		current = Buffer.from(first);
		current[current.length - 5_000] ^= 1;
		expect((await refusal(collect(await createDecryptStream(swappable, PASSPHRASE)))).message).toMatch(/^encrypted backup is corrupted or was tampered with \(segment \d+ failed authentication\)$/);
	});

	it('a blob cut short mid-stream is not taken for a shorter backup', async () => {
		const file = backups['encrypted tar.gz']!;
		const inner = await fileBlob(file);
		const cut: RangedBlob = {...inner, read: async offset => Readable.from([(await inner.readRange(offset, 100_000))])};
		expect((await refusal(collect(await createDecryptStream(cut, PASSPHRASE)))).message).toBe(`${file} changed or was cut short while it was being read`);
	});

	it('a destination error while listing comes through unchanged', async () => {
		const failing: RangedBlob = {
			label: 's3://b/p/x.zip',
			size: 10_000,
			readRange: async () => {
				throw new LifeboatError('destination', 's3://b/p/: access denied (check AWS_ACCESS_KEY_ID/AWS_PROFILE)');
			},
			read: async () => {
				throw new Error('not used');
			},
		};
		const error = await refusal(readBackupSummary(failing));
		expect(error.code).toBe('destination');
		expect(error.message).toBe('s3://b/p/: access denied (check AWS_ACCESS_KEY_ID/AWS_PROFILE)');
	});

	it('any range equals the sequential decryption, with one request per run of segments', async () => {
		const file = backups['encrypted zip']!;
		const plaintext = await collect(await createDecryptStream(file, PASSPHRASE));
		const counted = await countedFile(file);
		const access = await openEncryptedRandomAccess(counted.blob, PASSPHRASE);
		expect(access.size).toBe(plaintext.length);
		await fc.assert(
			fc.asyncProperty(fc.integer({min: 0, max: plaintext.length + 10}), fc.integer({min: 0, max: 300_000}), fc.boolean(), async (offset, length, streamed) => {
				const expected = plaintext.subarray(offset, offset + length);
				const actual = streamed ? await collect(access.read(offset, length)) : await access.readRange(offset, length);
				expect(actual.equals(expected)).toBe(true);
			}),
			{numRuns: 150},
		);
		// A fresh reader: the header (2 requests), the final segment (1), then one request per run of up to 4 MiB.
		const fresh = await countedFile(file);
		const again = await openEncryptedRandomAccess(fresh.blob, PASSPHRASE);
		expect(fresh.rangeCalls).toBe(3);
		expect((await again.readRange(0, plaintext.length)).equals(plaintext)).toBe(true);
		const segments = Math.ceil(plaintext.length / again.header.segmentSize);
		expect(fresh.rangeCalls - 3).toBe(Math.ceil(segments / Math.floor((4 * 1024 * 1024) / (again.header.segmentSize + 16))));
	});

	it('a local encrypted file: ranges read into reused run buffers, several streams at once, equal the sequential decryption', async () => {
		// 12 MiB over 16 KiB segments: runs of up to 4 MiB, so the spare buffers are reused many times.
		const plaintext = crypto.randomBytes(12 * 1024 * 1024);
		const file = path.join(backupDir, 'runs.bin.enc');
		const encrypt = await createEncryptStream({passphrase: PASSPHRASE, summary: {kind: 'test'}, segmentSize: 16 * 1024, iterations: 1000});
		fs.writeFileSync(file, await collect(Readable.from([plaintext]).pipe(encrypt)));
		const blob = await fileBlob(file);
		expect(blob.readInto).toBeDefined();
		const access = await openEncryptedRandomAccess(blob, PASSPHRASE);
		const range = fc.tuple(fc.integer({min: 0, max: plaintext.length + 10}), fc.integer({min: 0, max: 9_000_000}), fc.boolean());
		// Lengths up to 9 MB cross several runs; offsets anywhere, past the end included.
		await fc.assert(
			fc.asyncProperty(fc.array(range, {minLength: 1, maxLength: 4}), async ranges => {
				// Streams consumed side by side share the reader's spare run buffers and segment cache.
				const reads = ranges.map(([offset, length, streamed]) => (streamed ? collect(access.read(offset, length)) : access.readRange(offset, length)));
				const results = await Promise.all(reads);
				for (const [index, [offset, length]] of ranges.entries()) expect(results[index]!.equals(plaintext.subarray(offset, offset + length))).toBe(true);
			}),
			{numRuns: 60},
		);
		// Streams hold one handle while they read: closed once they end, and once one is destroyed half-read.
		const openHandles = () => fs.readdirSync('/proc/self/fd').filter(fd => {
			try {
				return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
			} catch {
				return false;
			}
		});
		expect(openHandles()).toEqual([]);
		const stream = access.read(0);
		let chunks = 0;
		for await (const chunk of stream) {
			expect((chunk as Buffer).length).toBeGreaterThan(0);
			if (++chunks === 3) break;
		}
		expect(stream.destroyed).toBe(true);
		await vi.waitFor(() => expect(openHandles()).toEqual([]), {timeout: 10_000, interval: 20});
	});

	it('bytes served from the segment cache stay as they were while later reads reuse the cache', async () => {
		const segmentSize = 16 * 1024;
		const plaintext = crypto.randomBytes(40 * segmentSize + 99);
		const file = path.join(backupDir, 'kept.bin.enc');
		const encrypt = await createEncryptStream({passphrase: PASSPHRASE, summary: {kind: 'test'}, segmentSize, iterations: 1000});
		fs.writeFileSync(file, await collect(Readable.from([plaintext]).pipe(encrypt)));
		const access = await openEncryptedRandomAccess(await fileBlob(file), PASSPHRASE);
		// Per segment: a small read that decrypts it (and keeps it), then reads the kept segment
		// serves, all held until the end while the reads of the segments after them cycle the cache.
		const held: Array<{offset: number; parts: Buffer[]}> = [];
		for (let index = 0; index < 40; index++) {
			const base = index * segmentSize;
			held.push({offset: base + 5, parts: [await access.readRange(base + 5, 100)]});
			const chunks: Buffer[] = [];
			for await (const chunk of access.read(base + 200, 300)) chunks.push(chunk as Buffer);
			expect(chunks.length).toBeGreaterThan(0);
			held.push({offset: base + 200, parts: chunks});
		}
		for (const {offset, parts} of held) {
			const bytes = Buffer.concat(parts);
			expect(bytes.equals(plaintext.subarray(offset, offset + bytes.length))).toBe(true);
		}
	});

	it('the sequential decryption reads the payload as one stream', async () => {
		const file = backups['encrypted tar.gz']!;
		const counted = await countedFile(file);
		const plaintext = await collect(await createDecryptStream(counted.blob, PASSPHRASE));
		expect(plaintext.equals(await collect(await createDecryptStream(file, PASSPHRASE)))).toBe(true);
		expect(counted.readCalls).toBe(1);
		expect(counted.rangeCalls).toBe(2); // the fixed header, then the rest of it
		expect(counted.bytes).toBe(fs.statSync(file).size);
	});
});
