import crypto from 'node:crypto';
import {once} from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {PassThrough, Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {ZipArchive} from 'archiver';
import unzipper from 'unzipper';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
	createDecryptStream,
	isEncryptedFile,
	openEncryptedRandomAccess,
	readEncryptedHeader,
} from '../source/core/crypto/decrypt-stream.js';
import {createEncryptStream} from '../source/core/crypto/encrypt-stream.js';
import {
	DEFAULT_SEGMENT_SIZE,
	encryptedSize,
	encryptedSizeOverhead,
	FIXED_HEADER_LENGTH,
	HEADER_MAC_LENGTH,
	TAG_LENGTH,
} from '../source/core/crypto/encrypted-format.js';
import {computeHeaderMac, deriveKeys} from '../source/core/crypto/passphrase-key.js';
import {LifeboatError} from '../source/core/errors.js';

const PASSPHRASE = 'correct horse battery staple';
const ITERATIONS = 1000; // fast KDF for tests; one test below uses the default 600,000
const SUMMARY = {gateway: 'demo-gateway', createdAt: '2025-01-02T03:04:05Z', counts: {sessions: 3, messages: 42}, note: 'ünïcödé ✓'};

let dir: string;
let fileCounter = 0;

beforeAll(async () => {
	dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lifeboat-enc-'));
});

afterAll(async () => {
	await fsp.rm(dir, {recursive: true, force: true});
});

function tempFile(name = 'backup'): string {
	return path.join(dir, `${name}-${++fileCounter}.enc`);
}

/** Splits data into uneven chunks so the encryptor's buffering is exercised. */
function* unevenChunks(data: Buffer): Generator<Buffer> {
	const sizes = [1, 7, 1000, 65_537, 3, 200_000];
	let offset = 0;
	for (let i = 0; offset < data.length; i++) {
		const size = sizes[i % sizes.length];
		yield data.subarray(offset, offset + size);
		offset += size;
	}
}

async function encryptToFile(
	plaintext: Buffer,
	options: {segmentSize?: number; iterations?: number; summary?: Record<string, unknown>; passphrase?: string} = {},
): Promise<string> {
	const file = tempFile();
	const encrypt = await createEncryptStream({
		passphrase: options.passphrase ?? PASSPHRASE,
		summary: options.summary ?? SUMMARY,
		segmentSize: options.segmentSize,
		iterations: options.iterations ?? ITERATIONS,
	});
	await pipeline(Readable.from(unevenChunks(plaintext)), encrypt, fs.createWriteStream(file));
	return file;
}

async function collect(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** Decrypts sequentially; returns what was emitted before any error, and the error. */
async function decryptFile(file: string, passphrase = PASSPHRASE): Promise<{plaintext: Buffer; error?: unknown}> {
	const chunks: Buffer[] = [];
	try {
		const stream = await createDecryptStream(file, passphrase);
		for await (const chunk of stream) chunks.push(chunk as Buffer);
		return {plaintext: Buffer.concat(chunks)};
	} catch (error) {
		return {plaintext: Buffer.concat(chunks), error};
	}
}

async function expectLifeboatError(promise: Promise<unknown>, code: string, message?: string | RegExp): Promise<LifeboatError> {
	let caught: unknown;
	try {
		await promise;
	} catch (error) {
		caught = error;
	}
	expect(caught, 'expected a LifeboatError to be thrown').toBeInstanceOf(LifeboatError);
	const error = caught as LifeboatError;
	expect(error.code).toBe(code);
	if (typeof message === 'string') expect(error.message).toBe(message);
	else if (message) expect(error.message).toMatch(message);
	return error;
}

async function expectDecryptFails(file: string, code: string, message?: string | RegExp): Promise<LifeboatError> {
	const {error} = await decryptFile(file);
	return expectLifeboatError(Promise.reject(error ?? new Error('decryption unexpectedly succeeded')), code, message);
}

async function copyWith(file: string, change: (bytes: Buffer) => Buffer): Promise<string> {
	const copy = tempFile('modified');
	await fsp.writeFile(copy, change(await fsp.readFile(file)));
	return copy;
}

const TAMPERED = /^encrypted backup is corrupted or was tampered with \(segment \d+ failed authentication\)$/;
const TRUNCATED = 'encrypted backup is truncated (the final segment is missing)';

describe('round trip', () => {
	const segmentSize = 1024;
	const cases: Array<[string, number]> = [
		['0 bytes', 0],
		['1 byte', 1],
		['one byte short of a segment', segmentSize - 1],
		['exactly one segment', segmentSize],
		['exactly three segments', 3 * segmentSize],
		['several segments and a partial one', 3 * segmentSize + 123],
	];
	for (const [name, length] of cases) {
		it(`${name} (${length} B, segment ${segmentSize} B)`, async () => {
			const plaintext = crypto.randomBytes(length);
			const file = await encryptToFile(plaintext, {segmentSize});
			const header = await readEncryptedHeader(file);
			// One final segment always follows the full ones (empty when length % S === 0).
			const segments = Math.floor(length / segmentSize) + 1;
			expect((await fsp.stat(file)).size).toBe(header.headerLength + length + segments * TAG_LENGTH);
			expect((await fsp.stat(file)).size).toBe(encryptedSize(length, segmentSize, header.headerLength));
			expect(header.plaintextLength).toBe(length);
			const {plaintext: decrypted, error} = await decryptFile(file);
			expect(error).toBeUndefined();
			expect(decrypted.equals(plaintext)).toBe(true);
		});
	}

	it('~5 MiB of random data with the default 64 KiB segments', async () => {
		const plaintext = crypto.randomBytes(5 * 1024 * 1024 + 12_345);
		const file = await encryptToFile(plaintext);
		const header = await readEncryptedHeader(file);
		expect(header.segmentSize).toBe(DEFAULT_SEGMENT_SIZE);
		expect((await fsp.stat(file)).size - plaintext.length).toBe(encryptedSizeOverhead(plaintext.length, DEFAULT_SEGMENT_SIZE, header.headerLength));
		const {plaintext: decrypted, error} = await decryptFile(file);
		expect(error).toBeUndefined();
		expect(decrypted.equals(plaintext)).toBe(true);
	});

	it('with the default 600,000 PBKDF2 iterations', async () => {
		const plaintext = crypto.randomBytes(100_000);
		const file = tempFile();
		const encrypt = await createEncryptStream({passphrase: PASSPHRASE, summary: SUMMARY});
		await pipeline(Readable.from([plaintext]), encrypt, fs.createWriteStream(file));
		const header = await readEncryptedHeader(file);
		expect(header.iterations).toBe(600_000);
		expect(header.kdf).toBe('pbkdf2-hmac-sha256');
		expect((await decryptFile(file)).plaintext.equals(plaintext)).toBe(true);
		await expectLifeboatError(createDecryptStream(file, 'not it'), 'wrong-passphrase', 'wrong passphrase or corrupted backup');
	});

	it('streams: ciphertext comes out before the input has ended, and nothing is held past a segment', async () => {
		const segmentSize = 4096;
		const encrypt = await createEncryptStream({passphrase: PASSPHRASE, summary: SUMMARY, segmentSize, iterations: ITERATIONS});
		let received = 0;
		encrypt.on('data', (chunk: Buffer) => {
			received += chunk.length;
		});
		const header = encrypt.read() as Buffer | null; // header is available before any input
		if (header) received += header.length;
		encrypt.write(crypto.randomBytes(segmentSize * 3 + 10));
		await new Promise((resolve) => setImmediate(resolve));
		// Three full segments (and the header) are out; the 10 bytes wait for more input or the end.
		expect(received).toBeGreaterThanOrEqual(3 * (segmentSize + TAG_LENGTH) + FIXED_HEADER_LENGTH);
		encrypt.end();
		await once(encrypt, 'end');
	});

	it('normalizes the passphrase to NFC', async () => {
		const plaintext = Buffer.from('accented');
		const file = await encryptToFile(plaintext, {passphrase: 'caf\u00e9'});
		expect((await decryptFile(file, 'cafe\u0301')).plaintext.toString()).toBe('accented');
	});

	it('rejects bad options', async () => {
		await expect(createEncryptStream({passphrase: PASSPHRASE, summary: SUMMARY, segmentSize: 0})).rejects.toThrow(RangeError);
		await expect(createEncryptStream({passphrase: PASSPHRASE, summary: SUMMARY, iterations: 0})).rejects.toThrow(RangeError);
		await expect(createEncryptStream({passphrase: PASSPHRASE, summary: [] as unknown as Record<string, unknown>})).rejects.toThrow(TypeError);
	});
});

describe('header', () => {
	it('exposes the summary and KDF parameters without the passphrase', async () => {
		const file = await encryptToFile(Buffer.from('hello'), {segmentSize: 2048});
		const header = await readEncryptedHeader(file);
		expect(header.summary).toEqual(SUMMARY);
		expect(header.version).toBe(1);
		expect(header.iterations).toBe(ITERATIONS);
		expect(header.salt).toHaveLength(16);
		expect(header.noncePrefix).toHaveLength(7);
		expect(header.segmentSize).toBe(2048);
		expect(header.headerLength).toBe(FIXED_HEADER_LENGTH + Buffer.byteLength(JSON.stringify(SUMMARY)) + HEADER_MAC_LENGTH);
		expect(header.plaintextLength).toBe(5);
		expect(header.fileSize).toBe((await fsp.stat(file)).size);
	});

	it('uses a fresh salt and nonce prefix per file', async () => {
		const a = await readEncryptedHeader(await encryptToFile(Buffer.from('x')));
		const b = await readEncryptedHeader(await encryptToFile(Buffer.from('x')));
		expect(a.salt.equals(b.salt)).toBe(false);
		expect(a.noncePrefix.equals(b.noncePrefix)).toBe(false);
	});

	it('isEncryptedFile checks the magic bytes', async () => {
		const encrypted = await encryptToFile(Buffer.from('data'));
		const plain = tempFile('plain');
		await fsp.writeFile(plain, 'PK\u0003\u0004 not encrypted');
		const empty = tempFile('empty');
		await fsp.writeFile(empty, '');
		expect(await isEncryptedFile(encrypted)).toBe(true);
		expect(await isEncryptedFile(plain)).toBe(false);
		expect(await isEncryptedFile(empty)).toBe(false);
		await expectLifeboatError(readEncryptedHeader(plain), 'corrupt-archive', /bad magic/);
		await expectLifeboatError(readEncryptedHeader(empty), 'corrupt-archive', /bad magic/);
		await expectLifeboatError(createDecryptStream(plain, PASSPHRASE), 'corrupt-archive', /bad magic/);
	});

	it('refuses a newer format version with a clear error', async () => {
		const file = await copyWith(await encryptToFile(Buffer.from('data')), (bytes) => {
			bytes[13] = 2;
			return bytes;
		});
		const message = 'encrypted backup format version 2 is newer than this Lifeboat supports (1)';
		expect(await isEncryptedFile(file)).toBe(true);
		await expectLifeboatError(readEncryptedHeader(file), 'unsupported-version', message);
		await expectLifeboatError(createDecryptStream(file, PASSPHRASE), 'unsupported-version', message);
		await expectLifeboatError(openEncryptedRandomAccess(file, PASSPHRASE), 'unsupported-version', message);
	});

	it('rejects an empty passphrase', async () => {
		const file = await encryptToFile(Buffer.from('data'));
		await expectLifeboatError(createEncryptStream({passphrase: '', summary: SUMMARY}), 'usage', 'passphrase must not be empty');
		await expectLifeboatError(createDecryptStream(file, ''), 'usage', 'passphrase must not be empty');
		await expectLifeboatError(openEncryptedRandomAccess(file, ''), 'usage', 'passphrase must not be empty');
	});
});

describe('wrong passphrase', () => {
	it('is reported exactly, with code wrong-passphrase', async () => {
		const file = await encryptToFile(crypto.randomBytes(5000), {segmentSize: 1024});
		const error = await expectLifeboatError(createDecryptStream(file, PASSPHRASE + '!'), 'wrong-passphrase', 'wrong passphrase or corrupted backup');
		expect(error.exitCode).toBe(6);
		await expectLifeboatError(openEncryptedRandomAccess(file, 'hunter2'), 'wrong-passphrase', 'wrong passphrase or corrupted backup');
	});

	it('is detected from the header alone: the payload is never read', async () => {
		const original = await encryptToFile(Buffer.from('small'), {segmentSize: 1024});
		const {headerLength} = await readEncryptedHeader(original);
		const header = (await fsp.readFile(original)).subarray(0, headerLength);

		// Valid header followed by 1 MiB of garbage.
		const garbage = tempFile('garbage');
		await fsp.writeFile(garbage, Buffer.concat([header, crypto.randomBytes(1024 * 1024)]));
		await expectLifeboatError(createDecryptStream(garbage, 'wrong'), 'wrong-passphrase', 'wrong passphrase or corrupted backup');
		await expectLifeboatError(openEncryptedRandomAccess(garbage, 'wrong'), 'wrong-passphrase', 'wrong passphrase or corrupted backup');
		// With the right passphrase the header unlocks and the garbage fails at segment 0.
		await expectDecryptFails(garbage, 'corrupt-archive', 'encrypted backup is corrupted or was tampered with (segment 0 failed authentication)');

		// Valid header followed by a 4 GiB sparse hole: a wrong passphrase is still reported at once.
		const huge = tempFile('huge');
		await fsp.writeFile(huge, header);
		await fsp.truncate(huge, headerLength + 4 * 1024 ** 3);
		// Bounded work, measured as bytes read by this process (not time): far less than the 4 GiB.
		const bytesRead = () => Number(/^rchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))![1]);
		const readBefore = bytesRead();
		await expectLifeboatError(createDecryptStream(huge, 'wrong'), 'wrong-passphrase', 'wrong passphrase or corrupted backup');
		await expectLifeboatError(openEncryptedRandomAccess(huge, 'wrong'), 'wrong-passphrase', 'wrong passphrase or corrupted backup');
		expect(bytesRead() - readBefore).toBeLessThan(64 * 1024 * 1024);
		await fsp.rm(huge);

		// Header only (no payload at all): wrong passphrase, not truncation.
		const headerOnly = tempFile('header-only');
		await fsp.writeFile(headerOnly, header);
		await expectLifeboatError(createDecryptStream(headerOnly, 'wrong'), 'wrong-passphrase', 'wrong passphrase or corrupted backup');
		await expectDecryptFails(headerOnly, 'corrupt-archive', TRUNCATED);
	});
});

describe('tampering', () => {
	const segmentSize = 1024;
	const stored = segmentSize + TAG_LENGTH;
	const plaintext = crypto.randomBytes(5 * segmentSize + 300); // 5 full segments + final of 300 B
	let file: string;
	let headerLength: number;
	let fileSize: number;

	beforeAll(async () => {
		file = await encryptToFile(plaintext, {segmentSize});
		headerLength = (await readEncryptedHeader(file)).headerLength;
		fileSize = (await fsp.stat(file)).size;
		expect(fileSize).toBe(headerLength + plaintext.length + 6 * TAG_LENGTH);
	});

	it('a bit flip anywhere in the file is rejected (20 positions)', async () => {
		const H = headerLength;
		const segment = (index: number) => H + index * stored;
		const positions: Array<[string, number]> = [
			['magic', 0],
			['version', 13],
			['kdf id', 14],
			['iterations', 18],
			['salt', 25],
			['segment size', 38],
			['nonce prefix', 42],
			['summary length', 49],
			['summary', FIXED_HEADER_LENGTH + 5],
			['header MAC, first byte', H - HEADER_MAC_LENGTH],
			['header MAC, last byte', H - 1],
			['segment 0, first byte', segment(0)],
			['segment 0, body', segment(0) + 500],
			['segment 0, tag', segment(0) + segmentSize + 5],
			['segment 2, body', segment(2) + 100],
			['segment 3, last tag byte', segment(3) + stored - 1],
			['segment 4, first byte', segment(4)],
			['final segment, first byte', segment(5)],
			['final segment, body', segment(5) + 150],
			['final segment, last tag byte', fileSize - 1],
		];
		expect(positions).toHaveLength(20);
		for (const [index, [name, position]] of positions.entries()) {
			const flipped = await copyWith(file, (bytes) => {
				bytes[position] ^= 1 << (index % 8);
				return bytes;
			});
			const {plaintext: emitted, error} = await decryptFile(flipped);
			expect(error, `${name} @${position}`).toBeInstanceOf(LifeboatError);
			const {code, message} = error as LifeboatError;
			if (position < H) {
				expect(['wrong-passphrase', 'corrupt-archive', 'unsupported-version'], `${name}: ${message}`).toContain(code);
				expect(emitted).toHaveLength(0);
			} else {
				const damaged = Math.floor((position - H) / stored);
				expect(code, `${name}: ${message}`).toBe('corrupt-archive');
				expect(message).toBe(`encrypted backup is corrupted or was tampered with (segment ${damaged} failed authentication)`);
				// Only segments before the damaged one were released, and they are genuine.
				expect(emitted.equals(plaintext.subarray(0, damaged * segmentSize)), name).toBe(true);
				// Random access: the damage shows either at open (final segment) or when read.
				const access = openEncryptedRandomAccess(flipped, PASSPHRASE).then(async (ra) => collect(ra.read(0)));
				await expectLifeboatError(access, 'corrupt-archive', TAMPERED);
			}
			await fsp.rm(flipped);
		}
	});

	it('truncation exactly at a segment boundary is rejected', async () => {
		for (const segments of [0, 3, 5]) {
			const cut = await copyWith(file, (bytes) => bytes.subarray(0, headerLength + segments * stored));
			const error = await expectDecryptFails(cut, 'corrupt-archive', TRUNCATED);
			expect(error).toBeInstanceOf(LifeboatError);
			await expectLifeboatError(openEncryptedRandomAccess(cut, PASSPHRASE), 'corrupt-archive', TRUNCATED);
		}
	});

	it('truncation of a file whose final segment is empty is rejected', async () => {
		const exact = await encryptToFile(crypto.randomBytes(3 * segmentSize), {segmentSize});
		const size = (await fsp.stat(exact)).size;
		const cut = await copyWith(exact, (bytes) => bytes.subarray(0, size - TAG_LENGTH)); // drop the empty final segment
		await expectDecryptFails(cut, 'corrupt-archive', TRUNCATED);
		await expectLifeboatError(openEncryptedRandomAccess(cut, PASSPHRASE), 'corrupt-archive', TRUNCATED);
	});

	it('truncation in the middle of a segment is rejected', async () => {
		for (const length of [headerLength + 2 * stored + 500, headerLength + 5 * stored + 100, fileSize - 1, headerLength + 7]) {
			const cut = await copyWith(file, (bytes) => bytes.subarray(0, length));
			const {error} = await decryptFile(cut);
			expect(error).toBeInstanceOf(LifeboatError);
			expect((error as LifeboatError).code).toBe('corrupt-archive');
			await expectLifeboatError(openEncryptedRandomAccess(cut, PASSPHRASE), 'corrupt-archive');
		}
	});

	it('truncation inside the header is rejected', async () => {
		for (const length of [5, 30, headerLength - 1]) {
			const cut = await copyWith(file, (bytes) => bytes.subarray(0, length));
			await expectDecryptFails(cut, 'corrupt-archive');
		}
	});

	it('bytes appended after the final segment are rejected', async () => {
		for (const extra of [Buffer.from([0]), crypto.randomBytes(16), crypto.randomBytes(2000)]) {
			const appended = await copyWith(file, (bytes) => Buffer.concat([bytes, extra]));
			await expectDecryptFails(appended, 'corrupt-archive', TAMPERED);
			await expectLifeboatError(openEncryptedRandomAccess(appended, PASSPHRASE), 'corrupt-archive');
		}
		// Appending a full segment's worth after an empty final segment.
		const exact = await encryptToFile(crypto.randomBytes(2 * segmentSize), {segmentSize});
		const appended = await copyWith(exact, (bytes) => Buffer.concat([bytes, crypto.randomBytes(segmentSize)]));
		await expectDecryptFails(appended, 'corrupt-archive', TAMPERED);
	});

	it('two swapped segments are rejected', async () => {
		const swapped = await copyWith(file, (bytes) => {
			const a = Buffer.from(bytes.subarray(headerLength + stored, headerLength + 2 * stored));
			const b = Buffer.from(bytes.subarray(headerLength + 2 * stored, headerLength + 3 * stored));
			b.copy(bytes, headerLength + stored);
			a.copy(bytes, headerLength + 2 * stored);
			return bytes;
		});
		const {plaintext: emitted} = await decryptFile(swapped);
		await expectDecryptFails(swapped, 'corrupt-archive', 'encrypted backup is corrupted or was tampered with (segment 1 failed authentication)');
		expect(emitted.equals(plaintext.subarray(0, segmentSize))).toBe(true);
	});

	it('a segment cannot stand in for the final one (or vice versa)', async () => {
		// Replace the final segment by a copy of segment 4's first 316 bytes: right length, wrong flag/tag.
		const forged = await copyWith(file, (bytes) => {
			bytes.copy(bytes, headerLength + 5 * stored, headerLength + 4 * stored, headerLength + 4 * stored + 316);
			return bytes;
		});
		await expectDecryptFails(forged, 'corrupt-archive', /segment 5 failed/);
	});

	it('segments are bound to their header (AAD), even under the same keys', async () => {
		// Someone who knows the passphrase edits the summary and re-MACs the header: the header
		// unlocks, but every segment was sealed against the original header and fails.
		const original = await readEncryptedHeader(file);
		const keys = await deriveKeys(PASSPHRASE, original.salt, original.iterations);
		const edited = await copyWith(file, (bytes) => {
			const summaryOffset = FIXED_HEADER_LENGTH + JSON.stringify(SUMMARY).indexOf('demo-gateway');
			bytes.write('evil', summaryOffset, 'utf8');
			const body = bytes.subarray(0, headerLength - HEADER_MAC_LENGTH);
			computeHeaderMac(keys.headerMacKey, body).copy(bytes, headerLength - HEADER_MAC_LENGTH);
			return bytes;
		});
		expect((await readEncryptedHeader(edited)).summary.gateway).toBe('evil-gateway');
		await expectDecryptFails(edited, 'corrupt-archive', 'encrypted backup is corrupted or was tampered with (segment 0 failed authentication)');
	});
});

describe('format conformance (the documented construction, decrypted by hand)', () => {
	it('nonce = prefix ‖ uint32 BE index ‖ last flag, AAD = SHA-256(header), keys from PBKDF2 + HKDF', async () => {
		const segmentSize = 64;
		const plaintext = crypto.randomBytes(3 * segmentSize + 10);
		const file = await encryptToFile(plaintext, {segmentSize});
		const bytes = await fsp.readFile(file);
		const header = await readEncryptedHeader(file);
		const H = header.headerLength;
		expect(bytes.subarray(0, 13).toString('latin1')).toBe('LIFEBOAT-ENC\0');
		expect(bytes.readUInt32BE(15)).toBe(ITERATIONS);
		expect(bytes.readUInt32BE(35)).toBe(segmentSize);

		const master = crypto.pbkdf2Sync(PASSPHRASE, header.salt, ITERATIONS, 32, 'sha256');
		const subkey = (info: string) => Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
		const payloadKey = subkey('lifeboat-enc v1 payload key');
		const macKey = subkey('lifeboat-enc v1 header mac key');
		expect(crypto.createHmac('sha256', macKey).update(bytes.subarray(0, H - 32)).digest().equals(bytes.subarray(H - 32, H))).toBe(true);

		const aad = crypto.createHash('sha256').update(bytes.subarray(0, H)).digest();
		const open = (index: number, flag: number, stored: Buffer) => {
			const nonce = Buffer.concat([header.noncePrefix, Buffer.from([0, 0, 0, index]), Buffer.from([flag])]);
			const decipher = crypto.createDecipheriv('aes-256-gcm', payloadKey, nonce);
			decipher.setAAD(aad);
			decipher.setAuthTag(stored.subarray(stored.length - 16));
			return Buffer.concat([decipher.update(stored.subarray(0, stored.length - 16)), decipher.final()]);
		};
		const stored = (index: number) => bytes.subarray(H + index * (segmentSize + 16), Math.min(bytes.length, H + (index + 1) * (segmentSize + 16)));
		const parts = [open(0, 0, stored(0)), open(1, 0, stored(1)), open(2, 0, stored(2)), open(3, 1, stored(3))];
		expect(Buffer.concat(parts).equals(plaintext)).toBe(true);
		expect(parts[3]).toHaveLength(10);
		// The flag is part of the nonce: a non-final segment does not open as final, nor the final as non-final.
		expect(() => open(1, 1, stored(1))).toThrow();
		expect(() => open(3, 0, stored(3))).toThrow();
		expect(() => open(2, 0, stored(1))).toThrow(); // and the index
	});
});

describe('random access', () => {
	const segmentSize = 1000; // not a power of two on purpose
	const plaintext = crypto.randomBytes(10_500);
	let file: string;

	beforeAll(async () => {
		file = await encryptToFile(plaintext, {segmentSize});
	});

	it('reads match the plaintext at arbitrary offsets and lengths, across segment boundaries', async () => {
		const access = await openEncryptedRandomAccess(file, PASSPHRASE);
		expect(access.size).toBe(plaintext.length);
		expect(access.header.summary).toEqual(SUMMARY);
		const offsets = [0, 1, 999, 1000, 1001, 1999, 2500, 9999, 10_000, 10_001, 10_499, 10_500, 20_000];
		const lengths = [undefined, 0, 1, 2, 999, 1000, 1001, 3000, 100_000];
		for (const offset of offsets) {
			for (const length of lengths) {
				const expected = plaintext.subarray(offset, length === undefined ? undefined : offset + length);
				const actual = await collect(access.read(offset, length));
				expect(actual.equals(expected), `offset ${offset} length ${length}`).toBe(true);
			}
		}
		for (let i = 0; i < 200; i++) {
			const offset = crypto.randomInt(0, plaintext.length);
			const length = crypto.randomInt(0, plaintext.length - offset + 50);
			expect((await collect(access.read(offset, length))).equals(plaintext.subarray(offset, offset + length))).toBe(true);
		}
		expect(() => access.read(-1)).toThrow(RangeError);
	});

	it('handles an empty final segment and an empty plaintext', async () => {
		const exact = crypto.randomBytes(3 * segmentSize);
		const access = await openEncryptedRandomAccess(await encryptToFile(exact, {segmentSize}), PASSPHRASE);
		expect(access.size).toBe(exact.length);
		expect((await collect(access.read(0))).equals(exact)).toBe(true);
		expect((await collect(access.read(2 * segmentSize + 10, 5000))).equals(exact.subarray(2 * segmentSize + 10))).toBe(true);

		const empty = await openEncryptedRandomAccess(await encryptToFile(Buffer.alloc(0), {segmentSize}), PASSPHRASE);
		expect(empty.size).toBe(0);
		expect(await collect(empty.read(0))).toHaveLength(0);
	});

	it('decrypts only what it needs: a damaged segment fails only the reads that touch it', async () => {
		const {headerLength} = await readEncryptedHeader(file);
		const damaged = await copyWith(file, (bytes) => {
			bytes[headerLength + 4 * (segmentSize + TAG_LENGTH) + 10] ^= 0x80;
			return bytes;
		});
		const access = await openEncryptedRandomAccess(damaged, PASSPHRASE);
		expect((await collect(access.read(0, 4 * segmentSize))).equals(plaintext.subarray(0, 4 * segmentSize))).toBe(true);
		expect((await collect(access.read(5 * segmentSize, 2000))).equals(plaintext.subarray(5 * segmentSize, 7 * segmentSize))).toBe(true);
		await expectLifeboatError(collect(access.read(3 * segmentSize + 500, 1000)), 'corrupt-archive', 'encrypted backup is corrupted or was tampered with (segment 4 failed authentication)');
	});

	it('reads an encrypted zip by its central directory with unzipper Open.custom', async () => {
		const entries: Record<string, Buffer> = {
			'manifest.json': Buffer.from(JSON.stringify({format: 1, gateway: 'demo'})),
			'sessions/main.jsonl': Buffer.from(Array.from({length: 2000}, (_, i) => JSON.stringify({i, text: `message ${i}`})).join('\n')),
			'blobs/random.bin': crypto.randomBytes(300_000), // incompressible: spans many segments
			'empty.txt': Buffer.alloc(0),
		};
		const zipFile = tempFile('zip');
		const archive = new ZipArchive({zlib: {level: 6}});
		const encrypt = await createEncryptStream({passphrase: PASSPHRASE, summary: {kind: 'zip'}, segmentSize: 4096, iterations: ITERATIONS});
		const output = fs.createWriteStream(zipFile);
		const closed = once(output, 'close');
		const piped = pipeline(archive, encrypt, output);
		for (const [name, data] of Object.entries(entries)) archive.append(data, {name});
		await archive.finalize();
		await piped;
		await closed;

		const raw = await fsp.readFile(zipFile);
		expect(raw.includes(Buffer.from('manifest.json'))).toBe(false); // names are encrypted too

		const access = await openEncryptedRandomAccess(zipFile, PASSPHRASE);
		const directory = await unzipper.Open.custom({
			size: async () => access.size,
			stream: (offset: number, length: number) => access.read(offset, length),
		});
		expect(directory.files.map((entry) => entry.path).sort()).toEqual(Object.keys(entries).sort());
		for (const [name, data] of Object.entries(entries)) {
			const entry = directory.files.find((candidate) => candidate.path === name)!;
			const content = await entry.buffer();
			expect(content.equals(data), name).toBe(true);
		}

		// The decrypted plaintext is the zip itself, and the sequential stream agrees.
		const {plaintext: zipBytes} = await decryptFile(zipFile);
		expect(zipBytes).toHaveLength(access.size);
		expect((await collect(access.read(0))).equals(zipBytes)).toBe(true);
		const viaBuffer = await unzipper.Open.buffer(zipBytes);
		expect((await viaBuffer.files.find((entry) => entry.path === 'blobs/random.bin')!.buffer()).equals(entries['blobs/random.bin'])).toBe(true);
	});
});

describe('stream plumbing', () => {
	it('decrypt stream can be destroyed early without leaking or throwing', async () => {
		const file = await encryptToFile(crypto.randomBytes(300_000), {segmentSize: 1024});
		const stream = await createDecryptStream(file, PASSPHRASE);
		const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
		expect(first.length).toBeGreaterThan(0);
		stream.destroy();
		await once(stream, 'close');
	});

	it('decrypt stream pipes into other streams', async () => {
		const plaintext = crypto.randomBytes(70_000);
		const file = await encryptToFile(plaintext, {segmentSize: 4096});
		const sink = new PassThrough();
		const collected = collect(sink);
		await pipeline(await createDecryptStream(file, PASSPHRASE), sink);
		expect((await collected).equals(plaintext)).toBe(true);
	});
});
