/**
 * A backup's bytes read by ranges, wherever they live: a local file or an object at a remote
 * destination. Readers (verify, dry run, restore, listing) read through this, so nothing has to
 * be downloaded whole: a zip is read by its central directory and the entries it needs, a
 * tar.gz streams once, an encrypted file is decrypted segment by segment.
 */
import fs from 'node:fs';
import {Readable} from 'node:stream';
import {describeFsError, LifeboatError} from '../errors.js';
import type {ZipSource} from './archive-reader.js';

export type RangedBlob = {
	/** Printable name of the backup (a path or a URL with no secret), used in error messages. */
	label: string;
	/** Bytes in all. */
	size: number;
	/** Bytes [offset, offset + length): exactly `length`, fewer only where the blob ends. */
	readRange(offset: number, length: number): Promise<Buffer>;
	/** Bytes from `offset` to the end, as one stream (one request). */
	read(offset: number): Promise<Readable>;
	/**
	 * Bytes [offset, offset + target.length) into `target` (a buffer the caller reuses); resolves
	 * to the count read, fewer only where the blob ends. Local files only: a reader streaming
	 * megabytes through large fresh buffers makes the allocator map and unmap each one.
	 */
	readInto?(offset: number, target: Buffer): Promise<number>;
	/**
	 * One handle held for a sequence of `readInto`s (local files only), closed by the caller: a
	 * reader streaming a whole file in 512 KiB runs spent ~5 % of its CPU opening and closing it.
	 */
	openReads?(): Promise<HeldReads>;
};

/** Reads through one open handle, until `close()`. */
export type HeldReads = {readInto(offset: number, target: Buffer): Promise<number>; close(): Promise<void>};

/** A local file as a blob. Each read opens the file briefly (no handle outlives a read), but for `openReads`' handle, which its caller closes. */
export async function fileBlob(file: string, label = file): Promise<RangedBlob> {
	let size: number;
	try {
		size = (await fs.promises.stat(file)).size;
	} catch (error) {
		describeFsError(error, label);
	}
	/** Opens the file for reading; a failure is one line naming the backup. */
	async function open(): Promise<fs.promises.FileHandle> {
		try {
			return await fs.promises.open(file, 'r');
		} catch (error) {
			describeFsError(error, label);
		}
	}
	/** Opens the file for one read and closes it after: no handle outlives a read. */
	async function withHandle<T>(read: (handle: fs.promises.FileHandle) => Promise<T>): Promise<T> {
		const handle = await open();
		try {
			return await read(handle);
		} finally {
			await handle.close();
		}
	}
	return {
		label,
		size,
		async readRange(offset, length) {
			checkRange(offset, length);
			return withHandle(async handle => readHandleRange(handle, size, offset, length));
		},
		async readInto(offset, target) {
			checkRange(offset, target.length);
			return withHandle(async handle => fillFromHandle(handle, target, offset));
		},
		async openReads() {
			const handle = await open();
			return {
				async readInto(offset, target) {
					checkRange(offset, target.length);
					return fillFromHandle(handle, target, offset);
				},
				close: async () => handle.close(),
			};
		},
		async read(offset) {
			checkRange(offset, 0);
			try {
				await fs.promises.access(file, fs.constants.R_OK);
			} catch (error) {
				describeFsError(error, label);
			}
			return fs.createReadStream(file, {start: offset, highWaterMark: 256 * 1024});
		},
	};
}

/** An in-memory blob (tests, and bytes already held). */
export function bufferBlob(bytes: Buffer, label: string): RangedBlob {
	return {
		label,
		size: bytes.length,
		async readRange(offset, length) {
			checkRange(offset, length);
			return Buffer.from(bytes.subarray(offset, offset + length));
		},
		async read(offset) {
			checkRange(offset, 0);
			return Readable.from([Buffer.from(bytes.subarray(offset))]);
		},
	};
}

function checkRange(offset: number, length: number): void {
	if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
	if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid length ${length}`);
}

export type BlockOptions = {
	/** First request at a new position (default 32 KiB). */
	minBlock?: number;
	/** Largest request, reached by doubling while reading sequentially (default 4 MiB). */
	maxBlock?: number;
	/** Recent blocks kept (default 4): the tail of a zip is read several times. */
	cacheBlocks?: number;
};

type Block = {offset: number; length: number; bytes: Promise<Buffer>};

/**
 * Bytes of a blob in blocks fetched only when asked for: a block starting where the previous
 * fetch ended is twice as large (up to `maxBlock`), any other starts at `minBlock`; the last few
 * blocks are kept (in flight or fetched), so overlapping readers fetch each byte once.
 */
export class BlockReader {
	private readonly blocks: Block[] = [];
	private lastEnd = -1;
	private nextSize: number;
	private readonly minBlock: number;
	private readonly maxBlock: number;
	private readonly cacheBlocks: number;

	constructor(private readonly blob: RangedBlob, options: BlockOptions = {}) {
		this.minBlock = options.minBlock ?? 32 * 1024;
		this.maxBlock = Math.max(this.minBlock, options.maxBlock ?? 4 * 1024 * 1024);
		this.cacheBlocks = Math.max(1, options.cacheBlocks ?? 4);
		this.nextSize = this.minBlock;
	}

	/** The bytes from `position` to the end of the block that holds it (never empty before the blob's end). */
	async at(position: number): Promise<Buffer> {
		const block = this.blocks.find(candidate => candidate.offset <= position && position < candidate.offset + candidate.length) ?? this.fetch(position);
		const bytes = await block.bytes;
		return bytes.subarray(position - block.offset);
	}

	private fetch(position: number): Block {
		const size = position === this.lastEnd ? Math.min(this.nextSize * 2, this.maxBlock) : this.minBlock;
		this.nextSize = size;
		// Up to the next block held: bytes already fetched are not fetched again.
		const next = this.blocks.reduce((nearest, block) => (block.offset > position ? Math.min(nearest, block.offset) : nearest), this.blob.size);
		const length = Math.min(size, next - position);
		this.lastEnd = position + length;
		const bytes = this.blob.readRange(position, length).then(read => {
			if (read.length !== length) throw changedWhileRead(this.blob.label);
			return read;
		});
		const block: Block = {offset: position, length, bytes};
		// A failed fetch is not kept: a later reader asks again.
		bytes.catch(() => this.drop(block));
		this.blocks.unshift(block);
		this.blocks.length = Math.min(this.blocks.length, this.cacheBlocks);
		return block;
	}

	private drop(block: Block): void {
		const index = this.blocks.indexOf(block);
		if (index >= 0) this.blocks.splice(index, 1);
	}

	/**
	 * Bytes [offset, offset + length) (to the end when undefined) as a stream that fetches only
	 * as its consumer pulls: a stream that is left unread fetches nothing more.
	 */
	stream(offset: number, length?: number): Readable {
		const end = Math.min(this.blob.size, length === undefined ? this.blob.size : offset + length);
		let position = offset;
		// No read-ahead beyond the block being served: a stream left unread fetches nothing more.
		const stream = new Readable({
			highWaterMark: 0,
			read: () => {
				if (position >= end) {
					stream.push(null);
					return;
				}
				this.at(position).then(
					bytes => {
						const piece = bytes.subarray(0, end - position);
						position += piece.length;
						stream.push(piece);
					},
					(error: unknown) => stream.destroy(error as Error),
				);
			},
		});
		return stream;
	}
}

/** A zip's bytes read from a blob in blocks (see {@link BlockReader}), for `unzipper.Open.custom`. */
export function blobZipSource(blob: RangedBlob, options: BlockOptions = {}): ZipSource {
	const reader = new BlockReader(blob, options);
	return {size: async () => blob.size, stream: (offset, length) => reader.stream(offset, length)};
}

/**
 * Head blocks (32 + 64 + 128 + 256 KiB): what reading a tar.gz's first entry pulls through
 * gunzip, tar and (encrypted) whole segments, with room to spare.
 */
const HEAD_BYTES = 480 * 1024;

/**
 * The blob, with its first bytes fetched by ranges and kept: a reader that opens it more than
 * once for its first entry (verify reads metadata.json, then every entry) costs one sequential
 * `read` in all, from where the head ends.
 */
export function withCachedHead(blob: RangedBlob): RangedBlob {
	const head = new BlockReader(blob, {minBlock: 32 * 1024, maxBlock: 256 * 1024, cacheBlocks: 5});
	const headLength = Math.min(HEAD_BYTES, blob.size);
	async function* headThenRest(offset: number): AsyncGenerator<Buffer> {
		for (let position = offset; position < headLength; ) {
			const bytes = (await head.at(position)).subarray(0, headLength - position);
			position += bytes.length;
			yield bytes;
		}
		if (headLength >= blob.size) return;
		const rest = await blob.read(headLength);
		try {
			for await (const chunk of rest) yield chunk as Buffer;
		} finally {
			rest.destroy();
		}
	}
	return {
		label: blob.label,
		size: blob.size,
		readRange: (offset, length) => blob.readRange(offset, length),
		read: async offset => (offset < headLength ? Readable.from(headThenRest(offset), {objectMode: false}) : blob.read(offset)),
	};
}

export function changedWhileRead(label: string): LifeboatError {
	return new LifeboatError('corrupt-archive', `${label} changed or was cut short while it was being read`);
}

/** Bytes [offset, offset + length) of an open file of `size` bytes, fewer at its end (or if it shrank). */
export async function readHandleRange(handle: fs.promises.FileHandle, size: number, offset: number, length: number): Promise<Buffer> {
	const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
	return buffer.subarray(0, await fillFromHandle(handle, buffer, offset));
}

/** Reads into `buffer` from `offset` until it is full or the file ends; resolves to the count read. */
async function fillFromHandle(handle: fs.promises.FileHandle, buffer: Buffer, offset: number): Promise<number> {
	let filled = 0;
	while (filled < buffer.length) {
		const {bytesRead} = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
		if (bytesRead === 0) break;
		filled += bytesRead;
	}
	return filled;
}
