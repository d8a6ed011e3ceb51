import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {finished, PassThrough, Transform, type Readable, type Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {describeFsError, LifeboatError} from '../errors.js';
import {bufferAllocated} from '../gc-pacer.js';
import {hashingTap} from '../hashing-tap.js';
import {ensureDir, fsyncPath, mkdirPrivate, PRIVATE_FILE_MODE} from '../private-fs.js';
import type {ArchiveFormat, ManifestEntry} from './archive-format.js';
import {unsafePathReason} from './entry-guard.js';
import {tarGzEncoder, zipEncoder} from './entry-encoders.js';
import {BLOCK_SIZE, OrderedOutput} from './parallel-deflate.js';
import {createZstdWriter} from './zstd-writer.js';
import {createJsonBundleWriter} from './json-bundle-writer.js';

/**
 * Backup writes only paths archive-paths.ts built, which readers accept; should one ever not be,
 * the backup fails as a bug of its own making (a reader would refuse the archive), with a message
 * about writing, never about restoring.
 */
export function checkWrittenPath(archivePath: string): void {
	const reason = unsafePathReason(archivePath);
	if (reason) throw new Error(`Refusing to write archive entry ${JSON.stringify(archivePath).slice(0, 120)} (${reason}): no reader would accept it; no backup was written`);
}

/**
 * Writes entries into an archive in the order added, hashing each as it is read. Files are added
 * from disk with their size known up front (tar and zip headers need it). zip and tar.gz entries
 * are deflated on every core (parallel-deflate.ts): an add resolves once the entry is read, hashed
 * and queued, so the next one is read while it is compressed; finish() waits for all of them.
 */
export type ArchiveWriter = {
	addFile(archivePath: string, file: string, options?: {store?: boolean}): Promise<ManifestEntry>;
	addBuffer(archivePath: string, content: Buffer): Promise<ManifestEntry>;
	/**
	 * Flushes and fsyncs the output; the result is complete on disk when this resolves. Returns
	 * the output's size and SHA-256 (for a directory: total size and the manifest's hash).
	 */
	finish(): Promise<{size: number; sha256: string}>;
	/** Stops writing; the caller removes the partial output. */
	abort(): Promise<void>;
};

export type WriterOptions = {
	format: ArchiveFormat;
	/**
	 * A file for zip/tar.gz, a directory for dir; or a stream the zip/tar.gz bytes go to (a
	 * remote upload, stdout), which is ended when the archive is finished.
	 */
	output: string | Writable;
	/** Bytes passing through, for progress. */
	onBytes?: (bytes: number) => void;
	expectedBytes?: number;
	/** Timestamp given to every entry (the backup's creation time). */
	date?: Date;
	/** A transform the finished archive bytes pass through on their way to disk (encryption). */
	outputTransform?: Transform;
	/** Deflate level for zip and tar.gz (default 6). */
	level?: number;
	/** zip: write every entry with zip64 records (tests of those paths on small data). */
	zip64Entries?: boolean;
};

export function createArchiveWriter(options: WriterOptions): ArchiveWriter {
	if (options.format === 'tar.zst') return createZstdWriter(options);
	if (options.format === 'json') return createJsonBundleWriter(options);
	return options.format === 'dir' ? createDirectoryWriter(options) : createStreamingWriter(options);
}

/**
 * A file opened for reading, sized from the open handle: its size and bytes are those of one file,
 * even if another is renamed over the path meanwhile (an editor's atomic save).
 */
export function openSync(file: string): {fd: number; size: number} {
	const fd = fs.openSync(file, 'r');
	try {
		return {fd, size: fs.fstatSync(fd).size};
	} catch (error) {
		fs.closeSync(fd);
		throw error;
	}
}

/** Reads exactly `size` bytes of an open file (closing it), failing if it shrank while we read it. */
export function readExactly(file: string, fd: number, size: number): Readable {
	if (size === 0) {
		fs.closeSync(fd);
		const empty = new PassThrough();
		empty.end();
		return empty;
	}
	const source = fs.createReadStream(file, {fd, start: 0, end: size - 1, highWaterMark: 256 * 1024});
	let seen = 0;
	const check = new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			seen += chunk.length;
			callback(null, chunk);
		},
		flush(callback) {
			callback(seen === size ? null : sourceChanged(file, seen, size));
		},
	});
	source.on('error', error => check.destroy(error));
	return source.pipe(check);
}

function sourceChanged(file: string, seen: number, size: number): LifeboatError {
	return new LifeboatError('source-changed', `${file} changed while being backed up (${seen} of ${size} bytes); nothing was written, run the backup again`);
}

/** Exactly `size` bytes of an open file in blocks of at most BLOCK_SIZE, failing if it shrank while read. */
async function* fileBlocks(handle: fs.promises.FileHandle, file: string, size: number): AsyncGenerator<Buffer> {
	for (let position = 0; position < size; ) {
		const block = Buffer.allocUnsafe(Math.min(BLOCK_SIZE, size - position));
		bufferAllocated(block.length);
		for (let filled = 0; filled < block.length; ) {
			const {bytesRead} = await handle.read(block, filled, block.length - filled, position + filled);
			if (bytesRead === 0) throw sourceChanged(file, position + filled, size);
			filled += bytesRead;
		}
		position += block.length;
		yield block;
	}
}

/** An entry's bytes: their size, the blocks, and what to release once they are read (or not). */
export type EntrySource = {size: number; blocks: AsyncIterable<Buffer>; close?: () => Promise<void>};

/** A file opened when its turn comes, sized from the open handle (see openSync). */
export async function openFileSource(file: string): Promise<EntrySource> {
	const handle = await fs.promises.open(file, 'r');
	try {
		const {size} = await handle.stat();
		return {size, blocks: fileBlocks(handle, file, size), close: () => handle.close()};
	} catch (error) {
		await handle.close();
		throw error;
	}
}

export async function* bufferBlocks(content: Buffer): AsyncGenerator<Buffer> {
	for (let position = 0; position < content.length; position += BLOCK_SIZE) yield content.subarray(position, position + BLOCK_SIZE);
}

/** Takes each block's SHA-256 and size (the manifest's, of the entry's own bytes) on its way. */
async function* hashed(blocks: AsyncIterable<Buffer>, hash: crypto.Hash, onBytes: ((bytes: number) => void) | undefined): AsyncGenerator<Buffer> {
	for await (const block of blocks) {
		hash.update(block);
		onBytes?.(block.length);
		yield block;
	}
}

/**
 * Where the archive's bytes go: (encryption) → the output, with the archive's SHA-256 taken on the
 * way (after encryption: it is the stored file's). Writes wait for the output to drain and fail
 * with the first error of any stage.
 */
export class ArchiveTarget {
	readonly output: Writable;
	private readonly head: Writable;
	private readonly hash = crypto.createHash('sha256');
	private tap: ReturnType<typeof hashingTap> | undefined;
	private size = 0;
	private failed: Error | undefined;
	private readonly onFailure = new Set<(error: Error) => void>();

	constructor(options: WriterOptions) {
		if (typeof options.output !== 'string') this.output = options.output;
		else {
			try {
				// Owner-only from the start (the mode is set again at the end, whatever the umask).
				this.output = fs.createWriteStream(options.output, {flags: 'wx', mode: PRIVATE_FILE_MODE});
			} catch (error) {
				describeFsError(error, options.output);
			}
		}
		const fail = (error: Error) => this.fail(error);
		this.output.on('error', fail);
		if (options.outputTransform) {
			this.tap = hashingTap();
			options.outputTransform.on('error', fail);
			this.tap.transform.on('error', fail);
			options.outputTransform.pipe(this.tap.transform).pipe(this.output);
			this.head = options.outputTransform;
		} else {
			this.head = this.output;
		}
		for (const stage of new Set([this.head, this.tap?.transform, this.output])) if (stage) this.failIfClosedEarly(stage);
	}

	/**
	 * A stage destroyed without an error (a discarded stream, a reader gone) emits neither 'error'
	 * nor 'drain' again: closed before it finished, it fails the archive (else a write waits forever).
	 */
	private failIfClosedEarly(stage: Writable): void {
		finished(stage, {readable: false, error: false}, error => {
			if (error && !this.failed) this.fail(new LifeboatError('destination', `The backup's output closed before the archive was complete; nothing usable was written`, {cause: error}));
		});
	}

	failure(): Error | undefined {
		return this.failed;
	}

	/** Calls `waiter` with the first failure of any stage. */
	watch(waiter: (error: Error) => void): void {
		this.onFailure.add(waiter);
	}

	fail(error: Error): void {
		this.failed ??= error;
		for (const waiter of this.onFailure) waiter(this.failed);
	}

	write = (chunk: Buffer): Promise<void> => {
		if (this.failed) return Promise.reject(this.failed);
		if (!this.tap) {
			this.hash.update(chunk);
			this.size += chunk.length;
		}
		if (this.head.write(chunk)) return Promise.resolve();
		return new Promise<void>((resolve, reject) => {
			const done = () => {
				this.head.off('drain', done);
				this.onFailure.delete(failed);
				resolve();
			};
			const failed = (error: Error) => {
				this.head.off('drain', done);
				this.onFailure.delete(failed);
				reject(error);
			};
			this.head.on('drain', done);
			this.onFailure.add(failed);
		});
	};

	/** Ends the output and waits until it has every byte (a file: closed). */
	async end(isFile: boolean): Promise<{size: number; sha256: string}> {
		await new Promise<void>((resolve, reject) => {
			if (this.failed) reject(this.failed);
			this.onFailure.add(reject);
			this.output.on(isFile ? 'close' : 'finish', () => (this.failed ? reject(this.failed) : resolve()));
			this.head.end();
		});
		return this.tap ? this.tap.result() : {size: this.size, sha256: this.hash.digest('hex')};
	}

	destroy(): void {
		this.fail(new LifeboatError('interrupted', 'Backup discarded'));
		this.head.destroy();
		this.output.destroy();
	}
}

function createStreamingWriter(options: WriterOptions): ArchiveWriter {
	const target = new ArchiveTarget(options);
	const output = new OrderedOutput(target.write);
	target.watch(error => output.fail(error));
	const encoderOptions = {level: options.level ?? 6, date: options.date ?? new Date(), forceZip64: (options.expectedBytes ?? 0) > 3.5 * 1024 ** 3, zip64Entries: options.zip64Entries};
	// zip64 end records switch on by themselves past 65,535 entries or 4 GiB; they are forced when
	// the archive may get near that so every reader sees consistent zip64 end records.
	const encoder = options.format === 'zip' ? zipEncoder(output, encoderOptions) : tarGzEncoder(output, encoderOptions);
	// Entries are queued one after another (each may still be deflating when the next is read).
	let queue: Promise<unknown> = Promise.resolve();
	const serial = <T>(work: () => Promise<T>): Promise<T> => {
		const result = queue.then(work);
		queue = result.catch(() => undefined);
		return result;
	};
	const failure = () => output.failure() ?? target.failure();

	const add = (archivePath: string, store: boolean, open: () => Promise<EntrySource>) =>
		serial(async () => {
			if (failure()) throw failure();
			checkWrittenPath(archivePath);
			const source = await open();
			const hash = crypto.createHash('sha256');
			try {
				await encoder.add(archivePath, source.size, hashed(source.blocks, hash, options.onBytes), store);
			} catch (error) {
				// An entry half queued leaves no archive to continue.
				output.fail(error as Error);
				throw failure() ?? error;
			} finally {
				await source.close?.();
			}
			return {path: archivePath, size: source.size, sha256: hash.digest('hex')};
		});

	return {
		async addFile(archivePath, file, addOptions) {
			return add(archivePath, addOptions?.store ?? false, () => openFileSource(file));
		},
		async addBuffer(archivePath, content) {
			return add(archivePath, false, async () => ({size: content.length, blocks: bufferBlocks(content)}));
		},
		finish: () =>
			serial(async () => {
				if (failure()) throw failure();
				const file = typeof options.output === 'string' ? options.output : undefined;
				await encoder.finish();
				await output.end();
				const digest = await target.end(Boolean(file));
				if (file) {
					fs.chmodSync(file, PRIVATE_FILE_MODE);
					await fsyncPath(file);
				}
				return digest;
			}),
		async abort() {
			output.fail(new LifeboatError('interrupted', 'Backup discarded'));
			target.destroy();
			await new Promise(resolve => setImmediate(resolve));
		},
	};
}

function createDirectoryWriter(options: WriterOptions): ArchiveWriter {
	if (typeof options.output !== 'string') throw new LifeboatError('usage', 'A folder backup (--format dir) can only be written to a local folder');
	const root = options.output;
	mkdirPrivate(root);
	const written: string[] = [];
	let totalSize = 0;
	let manifestSha256 = '';
	const write = async (archivePath: string, source: Readable) => {
		checkWrittenPath(archivePath);
		const target = path.join(root, ...archivePath.split('/'));
		ensureDir(path.dirname(target));
		const counter = hashingTap(options.onBytes);
		await pipeline(source, counter.transform, fs.createWriteStream(target, {flags: 'wx', mode: PRIVATE_FILE_MODE}));
		fs.chmodSync(target, PRIVATE_FILE_MODE);
		written.push(target);
		const result = counter.result();
		totalSize += result.size;
		if (archivePath === 'manifest.json') manifestSha256 = result.sha256;
		return {path: archivePath, ...result};
	};
	return {
		async addFile(archivePath, file) {
			checkWrittenPath(archivePath);
			const {fd, size} = openSync(file);
			return write(archivePath, readExactly(file, fd, size));
		},
		async addBuffer(archivePath, content) {
			const source = new PassThrough();
			source.end(content);
			return write(archivePath, source);
		},
		async finish() {
			for (const file of written) await fsyncPath(file);
			const dirs = new Set(written.map(file => path.dirname(file)));
			for (const dir of dirs) await fsyncPath(dir);
			await fsyncPath(root);
			return {size: totalSize, sha256: manifestSha256};
		},
		async abort() {},
	};
}
