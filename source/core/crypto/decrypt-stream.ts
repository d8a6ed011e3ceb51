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
import {Readable} from 'node:stream';
import {changedWhileRead, fileBlob, type HeldReads, type RangedBlob} from '../archive/ranged-blob.js';
import {LifeboatError} from '../errors.js';
import {bufferAllocated} from '../gc-pacer.js';
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

/** An encrypted backup: a local file's path, or any blob read by ranges. */
export type EncryptedSource = string | RangedBlob;

export type EncryptedRandomAccess = {
	/** Plaintext size in bytes. */
	size: number;
	/**
	 * Plaintext bytes `[offset, offset + length)` (to the end when `length` is undefined),
	 * clipped to `size`. Decrypts only the segments the range covers; fails the stream with a
	 * LifeboatError if one of them does not authenticate.
	 */
	read(offset: number, length?: number): Readable;
	/** Plaintext bytes `[offset, offset + length)` clipped to `size`, at once (same checks as `read`). */
	readRange(offset: number, length: number): Promise<Buffer>;
	header: EncryptedHeader;
};

/** Ciphertext fetched in one request at most (a run of whole segments; at least one segment). */
const MAX_RUN_BYTES = 4 * 1024 * 1024;
/**
 * The run of a local file (read into reused buffers, no request to save): shorter, so less
 * ciphertext and plaintext is held at once (a 1 GiB encrypted verify peaked at 97-99 MB with
 * 4 MiB runs, 88-91 MB with these; time alike).
 */
const LOCAL_RUN_BYTES = 512 * 1024;
/**
 * Decrypted segments kept for neighbouring reads (a zip reader's local header and the start of
 * its data, or the next entry's header, share the segment the previous read ended in): the last
 * segment of each run, copied into one of this many buffers the reader allocates once and reuses.
 */
const CACHED_SEGMENTS = 4;

function tampered(index: number): LifeboatError {
	return new LifeboatError('corrupt-archive', `encrypted backup is corrupted or was tampered with (segment ${index} failed authentication)`);
}

function truncated(): LifeboatError {
	return new LifeboatError('corrupt-archive', 'encrypted backup is truncated (the final segment is missing)');
}

function changed(): LifeboatError {
	return new LifeboatError('corrupt-archive', 'encrypted backup changed while it was being read');
}

async function toBlob(source: EncryptedSource): Promise<RangedBlob> {
	return typeof source === 'string' ? fileBlob(source) : source;
}

async function readHeaderFrom(blob: RangedBlob): Promise<EncryptedHeader> {
	const fixed = await blob.readRange(0, FIXED_HEADER_LENGTH);
	const headerLength = parseHeaderLength(fixed);
	const rest = fixed.length < FIXED_HEADER_LENGTH ? Buffer.alloc(0) : await blob.readRange(FIXED_HEADER_LENGTH, headerLength - FIXED_HEADER_LENGTH);
	if (fixed.length + rest.length < headerLength) {
		throw new LifeboatError('corrupt-archive', 'encrypted backup header is truncated');
	}
	const header = parseHeader(Buffer.concat([fixed, rest]));
	header.fileSize = blob.size;
	header.plaintextLength = payloadLayout(blob.size, header.segmentSize, header.headerLength)?.plaintextLength;
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

type Unlocked = {blob: RangedBlob; header: EncryptedHeader; keys: DerivedKeys; aad: Buffer};

/** Reads the header and checks its MAC with the passphrase (one KDF run, no payload read). */
async function unlock(source: EncryptedSource, passphrase: string): Promise<Unlocked> {
	normalizePassphrase(passphrase); // 'usage' error before any I/O
	const blob = await toBlob(source);
	const header = await readHeaderFrom(blob);
	const keys = await unlockHeader(header, passphrase);
	return {blob, header, keys, aad: headerDigest(headerBytes(header))};
}

/**
 * Opens a segment; when it does not authenticate, reads the header again: a file replaced while
 * it was read says so, rather than looking tampered with.
 */
async function openChecked(unlocked: Unlocked, index: number, last: boolean, stored: Buffer): Promise<Buffer> {
	const {blob, header, keys, aad} = unlocked;
	try {
		return openSegment(keys, header, aad, index, last, stored);
	} catch (error) {
		const expected = headerBytes(header);
		const actual = await blob.readRange(0, expected.length).catch(() => Buffer.alloc(0));
		throw actual.equals(expected) ? error : changed();
	}
}

/** Parses the header without the passphrase. The summary is not authenticated at this point. */
export async function readEncryptedHeader(source: EncryptedSource): Promise<EncryptedHeader> {
	return readHeaderFrom(await toBlob(source));
}

/** True when the file starts with the encrypted-backup magic bytes (any format version). */
export async function isEncryptedFile(source: EncryptedSource): Promise<boolean> {
	const blob = await toBlob(source);
	return hasMagic(await blob.readRange(0, MAGIC_LENGTH));
}

/** The whole payload as one stream (one request), cut into stored segments and opened in order. */
async function* decryptSequentially(unlocked: Unlocked): AsyncGenerator<Buffer> {
	const {blob, header} = unlocked;
	const storedSize = header.segmentSize + TAG_LENGTH;
	const payload = blob.size - header.headerLength;
	if (payload < TAG_LENGTH) throw truncated();
	const stream = await blob.read(header.headerLength);
	let pending: Buffer = Buffer.alloc(0);
	let seen = 0;
	let index = 0;
	try {
		for await (const chunk of stream) {
			seen += (chunk as Buffer).length;
			bufferAllocated(2 * (chunk as Buffer).length);
			if (seen > payload) throw new LifeboatError('corrupt-archive', 'encrypted backup has unexpected data after the final segment');
			pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
			let used = 0;
			// A full-length segment is never the final one (the final holds < S bytes).
			for (; pending.length - used >= storedSize; used += storedSize) {
				yield await openChecked(unlocked, index++, false, pending.subarray(used, used + storedSize));
			}
			pending = pending.subarray(used);
		}
	} finally {
		stream.destroy();
	}
	if (seen < payload) throw changedWhileRead(blob.label);
	// Shorter than a full segment: this must be the final segment (with its last flag set).
	if (pending.length < TAG_LENGTH) throw truncated();
	const plaintext = await openChecked(unlocked, index, true, pending);
	if (plaintext.length > 0) yield plaintext;
}

/**
 * Unlocks the file (rejects with 'wrong-passphrase' before any payload is read) and returns a
 * stream of its whole plaintext, read as one sequential request. The stream errors with a
 * 'corrupt-archive' LifeboatError on a tampered, reordered or truncated segment or on trailing
 * data; bytes it has emitted before that all came from segments that authenticated.
 */
export async function createDecryptStream(source: EncryptedSource, passphrase: string): Promise<Readable> {
	const unlocked = await unlock(source, passphrase);
	return Readable.from(decryptSequentially(unlocked), {objectMode: false});
}

type Layout = NonNullable<ReturnType<typeof payloadLayout>>;

/**
 * Plaintext by ranges: the segments a range covers, read in runs (one ranged read per run of up
 * to {@link MAX_RUN_BYTES}), each opened before any of its bytes is handed out; the final
 * segment and the last few others kept for neighbouring reads.
 */
class SegmentReader {
	/**
	 * Index → plaintext in a slot: never handed out, only copied from. Keeping the buffers the
	 * decipher returned kept them alive across the scavenges of many small entries' reads, so V8
	 * promoted them and freed their memory only at a full collection: a 1 GiB encrypted verify ran
	 * ~97 mark-compacts (the plain one ~22) and took 1.27x the plain one; with slots ~35, ~1.03x.
	 */
	private readonly cache = new Map<number, Buffer>();
	private finalPlaintext: Buffer | undefined;
	/** Run buffers local ciphertext is read into, reused (see readStored). */
	private readonly spares: Buffer[] = [];
	/** A local file's handle, held while range streams read (see hold). */
	private held: {reads: Promise<HeldReads>; users: number} | undefined;
	readonly lastIndex: number;
	readonly runLimit: number;
	private readonly storedSize: number;

	constructor(private readonly unlocked: Unlocked, private readonly layout: Layout) {
		this.lastIndex = layout.segments - 1;
		this.storedSize = unlocked.header.segmentSize + TAG_LENGTH;
		this.runLimit = Math.max(1, Math.floor((unlocked.blob.readInto ? LOCAL_RUN_BYTES : MAX_RUN_BYTES) / this.storedSize));
	}

	/**
	 * A range stream starts: a local file's handle is opened once and kept until the last stream
	 * reading lets go, rather than opened and closed for every run.
	 */
	hold(): void {
		const {blob} = this.unlocked;
		if (!blob.openReads) return;
		if (this.held) this.held.users++;
		else this.held = {reads: blob.openReads(), users: 1};
		// A failed open is reported by the read that awaits it.
		this.held.reads.catch(() => undefined);
	}

	/** A range stream ends (read to its end, failed or destroyed): the last one closes the handle. */
	async letGo(): Promise<void> {
		const held = this.held;
		if (!held || --held.users > 0) return;
		this.held = undefined;
		try {
			await (await held.reads).close();
		} catch {
			// never opened, or already closed: nothing is held
		}
	}

	/** Authenticates the final segment: catches truncation (and a swapped-in final) at open. */
	async openFinal(): Promise<void> {
		[this.finalPlaintext] = await this.readRun(this.lastIndex, 1);
	}

	/** Plaintext [start, end) (already clipped), as a copy no consumer can use to alter the cache. */
	async plain(start: number, end: number): Promise<Buffer> {
		if (start >= end) return Buffer.alloc(0);
		bufferAllocated(end - start);
		const parts = await this.views(start, end);
		return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
	}

	/**
	 * Plaintext [start, end) (already clipped) as views of the segments just decrypted, not copied
	 * (only the part of a kept segment is a copy): for the range streams, whose consumers (inflate,
	 * hash, parse) only read. Joining a 4 MiB run into one fresh buffer made the allocator map and
	 * unmap every run.
	 */
	async views(start: number, end: number): Promise<Buffer[]> {
		if (start >= end) return [];
		const {segmentSize} = this.unlocked.header;
		const first = Math.floor(start / segmentSize);
		const last = Math.floor((end - 1) / segmentSize);
		// The part of segment `index` the range covers.
		const part = (index: number): [number, number] => [index === first ? start - first * segmentSize : 0, index === last ? end - index * segmentSize : segmentSize];
		const out: Buffer[] = [];
		for (let index = first; index <= last; ) {
			if (this.isKept(index)) {
				out.push(this.keptPart(index, ...part(index)));
				index++;
				continue;
			}
			let count = 1;
			while (count < this.runLimit && index + count <= last && !this.isKept(index + count)) count++;
			const run = await this.readRun(index, count);
			this.remember(index + count - 1, run.at(-1)!);
			for (const [offset, plaintext] of run.entries()) out.push(plaintext.subarray(...part(index + offset)));
			index += count;
		}
		return out;
	}

	private isKept(index: number): boolean {
		return index === this.lastIndex || this.cache.has(index);
	}

	/**
	 * Bytes [from, to) of a kept segment: of the final one as a view, of another as a copy made
	 * now (a read in flight may reuse its slot before the caller is done with them).
	 */
	private keptPart(index: number, from: number, to: number): Buffer {
		if (index === this.lastIndex) return this.finalPlaintext!.subarray(from, to);
		return Buffer.from(this.cache.get(index)!.subarray(from, to));
	}

	private storedLength(index: number): number {
		return index === this.lastIndex ? this.layout.finalSegmentLength + TAG_LENGTH : this.storedSize;
	}

	/** Keeps a copy of segment `index` in a slot, reusing the oldest one's past CACHED_SEGMENTS. */
	private remember(index: number, plaintext: Buffer): void {
		if (this.isKept(index)) return; // the final one is kept for good in finalPlaintext
		let slot: Buffer | undefined;
		if (this.cache.size >= CACHED_SEGMENTS) {
			const oldest = this.cache.keys().next().value!;
			slot = this.cache.get(oldest)!;
			this.cache.delete(oldest);
		}
		// Every segment but the final one holds segmentSize bytes: a slot fits any of them.
		slot ??= Buffer.allocUnsafeSlow(this.unlocked.header.segmentSize);
		plaintext.copy(slot);
		this.cache.set(index, slot);
	}

	/** Segments [first, first + count): one ranged read, each opened before any is handed out. */
	private async readRun(first: number, count: number): Promise<Buffer[]> {
		let length = 0;
		for (let index = first; index < first + count; index++) length += this.storedLength(index);
		const stored = await this.readStored(this.unlocked.header.headerLength + first * this.storedSize, length);
		try {
			if (stored.bytes.length !== length) throw changed();
			// The plaintexts opened from the ciphertext (and the ciphertext, unless read into a spare).
			bufferAllocated(stored.reused ? length : 2 * length);
			const plaintexts: Buffer[] = [];
			let offset = 0;
			for (let index = first; index < first + count; index++) {
				const end = offset + this.storedLength(index);
				plaintexts.push(await openChecked(this.unlocked, index, index === this.lastIndex, stored.bytes.subarray(offset, end)));
				offset = end;
			}
			return plaintexts;
		} finally {
			stored.release();
		}
	}

	/** Through the held handle when a stream holds one (held for this read too: no stream's end closes it under the read). */
	private async readInto(offset: number, target: Buffer): Promise<number> {
		if (!this.held) return this.unlocked.blob.readInto!(offset, target);
		this.held.users++;
		try {
			return await (await this.held.reads).readInto(offset, target);
		} finally {
			await this.letGo();
		}
	}

	/**
	 * Ciphertext [offset, offset + length): from a local file into a spare run buffer (one per run
	 * in flight: the one being consumed and the one read ahead), else one ranged read.
	 */
	private async readStored(offset: number, length: number): Promise<{bytes: Buffer; reused: boolean; release(): void}> {
		const {blob} = this.unlocked;
		if (!blob.readInto) return {bytes: await blob.readRange(offset, length), reused: false, release() {}};
		const spare = this.spares.pop() ?? Buffer.allocUnsafeSlow(this.runLimit * this.storedSize);
		const release = () => void this.spares.push(spare);
		try {
			const target = spare.subarray(0, Math.min(length, spare.length));
			return {bytes: spare.subarray(0, await this.readInto(offset, target)), reused: true, release};
		} catch (error) {
			release();
			throw error;
		}
	}
}

/**
 * Unlocks the file, checks its size fits the format and authenticates the final segment (so a
 * truncated file is rejected here), then serves plaintext byte ranges, reading each contiguous
 * run of segments with one ranged read. Plugs into
 * `unzipper.Open.custom({size: async () => access.size, stream: (offset, length) => access.read(offset, length)})`.
 */
export async function openEncryptedRandomAccess(source: EncryptedSource, passphrase: string): Promise<EncryptedRandomAccess> {
	const unlocked = await unlock(source, passphrase);
	const {blob, header} = unlocked;
	const {segmentSize} = header;
	const layout = payloadLayout(blob.size, segmentSize, header.headerLength);
	if (!layout) throw truncated();
	const size = layout.plaintextLength;
	const reader = new SegmentReader(unlocked, layout);
	// Most readers (a zip's central directory) start at the end anyway.
	await reader.openFinal();

	/**
	 * Ranges read lazily, in runs that double from one segment while the consumer keeps reading;
	 * from the third run on, the next run is read while the consumer works on this one (a verify
	 * inflates and hashes while the disk or the network fetches what comes next). Runs are handed
	 * out in order, each only once it authenticated.
	 */
	async function* range(start: number, end: number): AsyncGenerator<Buffer> {
		let run = 1;
		let position = start;
		const nextRun = (): Promise<Buffer[]> => {
			const to = Math.min(end, (Math.floor(position / segmentSize) + run) * segmentSize);
			const read = reader.views(position, to);
			position = to;
			run = Math.min(run * 2, reader.runLimit);
			return read;
		};
		let ahead: Promise<Buffer[]> | undefined;
		reader.hold();
		try {
			for (let runs = 0; ahead || position < end; runs++) {
				const current = ahead ?? nextRun();
				ahead = runs >= 2 && position < end ? nextRun() : undefined;
				// Settled later (or never, when the consumer stops): its failure is reported in turn.
				ahead?.catch(() => undefined);
				yield* await current;
			}
		} finally {
			// A read ahead still in flight finishes before the handle it reads through closes.
			await ahead?.catch(() => undefined);
			ahead = undefined;
			await reader.letGo();
		}
	}

	const clip = (offset: number, length?: number) => {
		if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
		if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) throw new RangeError(`invalid length ${length}`);
		return {start: Math.min(offset, size), end: length === undefined ? size : Math.min(size, offset + length)};
	};

	return {
		size,
		header,
		read(offset: number, length?: number): Readable {
			const {start, end} = clip(offset, length);
			return Readable.from(range(start, end), {objectMode: false});
		},
		async readRange(offset: number, length: number): Promise<Buffer> {
			const {start, end} = clip(offset, length);
			return reader.plain(start, end);
		},
	};
}

/** The plaintext of an encrypted backup as a blob (what a zip reader reads by ranges). */
export function plaintextBlob(access: EncryptedRandomAccess, label: string): RangedBlob {
	return {
		label,
		size: access.size,
		readRange: (offset, length) => access.readRange(offset, length),
		read: async offset => access.read(offset),
	};
}
