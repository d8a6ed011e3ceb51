/**
 * Reading encrypted backups (format: see encrypted-format.ts):
 *
 * - {@link readEncryptedHeader} / {@link isEncryptedFile}: no passphrase needed; the summary is
 *   shown as stored (it is authenticated only once a passphrase unlocks the header).
 * - {@link createDecryptStream}: the whole plaintext, front to back.
 * - {@link openEncryptedRandomAccess}: any plaintext byte range, decrypting only the segments
 *   it covers (used to read a zip by its central directory with `unzipper.Open.custom`).
 *
 * Every path checks the header MAC after a single KDF run before reading any payload, and hands
 * out a segment's plaintext only after GCM's `final()` has verified that segment's tag (Node's
 * decipher returns bytes from `update()` before the tag is checked).
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import {Readable} from 'node:stream';
import {describeFsError, LifeboatError} from '../errors.js';
import {
	FIXED_HEADER_LENGTH,
	hasMagic,
	MAGIC_LENGTH,
	parseHeader,
	parseHeaderLength,
	payloadLayout,
	segmentNonce,
	TAG_LENGTH,
	type EncryptedHeader,
} from './encrypted-format.js';
import {headerDigest, normalizePassphrase, unlockHeader, type DerivedKeys} from './passphrase-key.js';

export type {EncryptedHeader} from './encrypted-format.js';

export type EncryptedRandomAccess = {
	/** Plaintext size in bytes. */
	size: number;
	/**
	 * Plaintext bytes `[offset, offset + length)` (to the end when `length` is undefined),
	 * clipped to `size`. Decrypts only the segments the range covers; fails the stream with a
	 * LifeboatError if one of them does not authenticate.
	 */
	read(offset: number, length?: number): Readable;
	header: EncryptedHeader;
};

function tampered(index: number): LifeboatError {
	return new LifeboatError('corrupt-archive', `encrypted backup is corrupted or was tampered with (segment ${index} failed authentication)`);
}

function truncated(): LifeboatError {
	return new LifeboatError('corrupt-archive', 'encrypted backup is truncated (the final segment is missing)');
}

async function openFile(file: string): Promise<fs.FileHandle> {
	try {
		return await fs.open(file, 'r');
	} catch (error) {
		describeFsError(error, file);
	}
}

/** Reads until `buffer` is full or the file ends; returns the number of bytes read. */
async function readFully(handle: fs.FileHandle, buffer: Buffer, position: number): Promise<number> {
	let filled = 0;
	while (filled < buffer.length) {
		const {bytesRead} = await handle.read(buffer, filled, buffer.length - filled, position + filled);
		if (bytesRead === 0) break;
		filled += bytesRead;
	}
	return filled;
}

async function readHeaderFrom(handle: fs.FileHandle): Promise<EncryptedHeader> {
	const fixed = Buffer.alloc(FIXED_HEADER_LENGTH);
	const fixedRead = await readFully(handle, fixed, 0);
	const headerLength = parseHeaderLength(fixed.subarray(0, fixedRead));
	const bytes = Buffer.alloc(headerLength);
	if ((await readFully(handle, bytes, 0)) < headerLength) {
		throw new LifeboatError('corrupt-archive', 'encrypted backup header is truncated');
	}
	const header = parseHeader(bytes);
	const {size} = await handle.stat();
	header.fileSize = size;
	header.plaintextLength = payloadLayout(size, header.segmentSize, header.headerLength)?.plaintextLength;
	return header;
}

function headerBytes(header: EncryptedHeader): Buffer {
	return Buffer.concat([header.authenticatedBytes, header.mac]);
}

/** Opens one stored segment (ciphertext ‖ tag). Returns plaintext only once the tag verified. */
function openSegment(keys: DerivedKeys, header: EncryptedHeader, aad: Buffer, index: number, last: boolean, stored: Buffer): Buffer {
	const ciphertextLength = stored.length - TAG_LENGTH;
	const decipher = crypto.createDecipheriv('aes-256-gcm', keys.payloadKey, segmentNonce(header.noncePrefix, index, last), {authTagLength: TAG_LENGTH});
	decipher.setAAD(aad);
	decipher.setAuthTag(stored.subarray(ciphertextLength));
	const unverified = decipher.update(stored.subarray(0, ciphertextLength));
	let rest: Buffer;
	try {
		rest = decipher.final(); // throws if the tag does not match
	} catch (error) {
		throw new LifeboatError('corrupt-archive', tampered(index).message, {cause: error});
	}
	return rest.length > 0 ? Buffer.concat([unverified, rest]) : unverified;
}

/** Reads the header and checks its MAC with the passphrase (one KDF run, no payload read). */
async function unlockFile(file: string, passphrase: string): Promise<{header: EncryptedHeader; keys: DerivedKeys}> {
	normalizePassphrase(passphrase); // 'usage' error before any I/O
	const handle = await openFile(file);
	try {
		const header = await readHeaderFrom(handle);
		return {header, keys: await unlockHeader(header, passphrase)};
	} finally {
		await handle.close();
	}
}

/** Parses the header without the passphrase. The summary is not authenticated at this point. */
export async function readEncryptedHeader(file: string): Promise<EncryptedHeader> {
	const handle = await openFile(file);
	try {
		return await readHeaderFrom(handle);
	} finally {
		await handle.close();
	}
}

/** True when the file starts with the encrypted-backup magic bytes (any format version). */
export async function isEncryptedFile(file: string): Promise<boolean> {
	const handle = await openFile(file);
	try {
		const magic = Buffer.alloc(MAGIC_LENGTH);
		return hasMagic(magic.subarray(0, await readFully(handle, magic, 0)));
	} finally {
		await handle.close();
	}
}

/**
 * Reopens the file for payload reads and checks it still carries the header that was unlocked
 * (the file is opened lazily so a stream that is never read holds no file descriptor).
 */
async function reopen(file: string, header: EncryptedHeader): Promise<fs.FileHandle> {
	const handle = await openFile(file);
	const expected = headerBytes(header);
	const actual = Buffer.alloc(expected.length);
	if ((await readFully(handle, actual, 0)) !== expected.length || !actual.equals(expected)) {
		await handle.close();
		throw new LifeboatError('corrupt-archive', 'encrypted backup changed while it was being read');
	}
	return handle;
}

async function* decryptSequentially(file: string, header: EncryptedHeader, keys: DerivedKeys): AsyncGenerator<Buffer> {
	const handle = await reopen(file, header);
	try {
		const aad = headerDigest(headerBytes(header));
		const storedSize = header.segmentSize + TAG_LENGTH;
		const buffer = Buffer.alloc(storedSize);
		let position = header.headerLength;
		for (let index = 0; ; index++) {
			const bytesRead = await readFully(handle, buffer, position);
			position += bytesRead;
			if (bytesRead === storedSize) {
				// A full-length segment is never the final one (the final holds < S bytes).
				yield openSegment(keys, header, aad, index, false, buffer);
				continue;
			}
			// Shorter than a full segment: this must be the final segment (with its last flag set).
			if (bytesRead < TAG_LENGTH) throw truncated();
			const plaintext = openSegment(keys, header, aad, index, true, buffer.subarray(0, bytesRead));
			if ((await handle.read(Buffer.alloc(1), 0, 1, position)).bytesRead > 0) {
				throw new LifeboatError('corrupt-archive', 'encrypted backup has unexpected data after the final segment');
			}
			if (plaintext.length > 0) yield plaintext;
			return;
		}
	} finally {
		await handle.close();
	}
}

/**
 * Unlocks the file (rejects with 'wrong-passphrase' before any payload is read) and returns a
 * stream of its whole plaintext. The stream errors with a 'corrupt-archive' LifeboatError on a
 * tampered, reordered or truncated segment or on trailing data; bytes it has emitted before
 * that all came from segments that authenticated.
 */
export async function createDecryptStream(file: string, passphrase: string): Promise<Readable> {
	const {header, keys} = await unlockFile(file, passphrase);
	return Readable.from(decryptSequentially(file, header, keys), {objectMode: false});
}

/**
 * Unlocks the file, checks its size fits the format and authenticates the final segment (so a
 * truncated file is rejected here), then serves plaintext byte ranges. Plugs into
 * `unzipper.Open.custom({size: async () => access.size, stream: (offset, length) => access.read(offset, length)})`.
 */
export async function openEncryptedRandomAccess(file: string, passphrase: string): Promise<EncryptedRandomAccess> {
	const {header, keys} = await unlockFile(file, passphrase);
	const {segmentSize, headerLength} = header;
	const layout = payloadLayout(header.fileSize ?? 0, segmentSize, headerLength);
	if (!layout) throw truncated();
	const size = layout.plaintextLength;
	const lastIndex = layout.segments - 1;
	const storedSize = segmentSize + TAG_LENGTH;
	const aad = headerDigest(headerBytes(header));

	const segmentOffset = (index: number) => headerLength + index * storedSize;
	const storedLength = (index: number) => (index === lastIndex ? layout.finalSegmentLength + TAG_LENGTH : storedSize);

	async function readSegment(handle: fs.FileHandle, index: number): Promise<Buffer> {
		const stored = Buffer.alloc(storedLength(index));
		if ((await readFully(handle, stored, segmentOffset(index))) !== stored.length) throw truncated();
		return openSegment(keys, header, aad, index, index === lastIndex, stored);
	}

	// Authenticate the final segment now: catches truncation (and a swapped-in final) at open,
	// and most readers (zip central directory) start at the end anyway.
	const handle = await reopen(file, header);
	let finalPlaintext: Buffer;
	try {
		finalPlaintext = await readSegment(handle, lastIndex);
	} finally {
		await handle.close();
	}

	// Each segment is read with its own short-lived handle: consumers such as unzipper stop
	// reading a range without destroying it, so a handle held across yields would leak.
	async function readSegmentOnce(index: number): Promise<Buffer> {
		const segmentHandle = await reopen(file, header);
		try {
			return await readSegment(segmentHandle, index);
		} finally {
			await segmentHandle.close();
		}
	}

	async function* range(start: number, end: number): AsyncGenerator<Buffer> {
		if (start >= end) return;
		const first = Math.floor(start / segmentSize);
		const last = Math.floor((end - 1) / segmentSize);
		for (let index = first; index <= last; index++) {
			const plaintext = index === lastIndex ? finalPlaintext : await readSegmentOnce(index);
			const segmentStart = index * segmentSize;
			const from = Math.max(start, segmentStart) - segmentStart;
			const to = Math.min(end, segmentStart + plaintext.length) - segmentStart;
			// Copy slices of the cached final segment so no consumer can alter the cache.
			yield index === lastIndex ? Buffer.from(plaintext.subarray(from, to)) : plaintext.subarray(from, to);
		}
	}

	return {
		size,
		header,
		read(offset: number, length?: number): Readable {
			if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
			if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) throw new RangeError(`invalid length ${length}`);
			const start = Math.min(offset, size);
			const end = length === undefined ? size : Math.min(size, offset + length);
			return Readable.from(range(start, end), {objectMode: false});
		},
	};
}
