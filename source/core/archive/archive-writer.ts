import fs from 'node:fs';
import path from 'node:path';
import {PassThrough, Transform, type Readable, type Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {TarArchive, ZipArchive, type Archiver} from 'archiver';
import {describeFsError, LifeboatError} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {ensureDir, fsyncPath, mkdirPrivate, PRIVATE_FILE_MODE} from '../private-fs.js';
import type {ArchiveFormat, ManifestEntry} from './archive-format.js';
import {unsafePathReason} from './entry-guard.js';
import {createZstdWriter} from './zstd-writer.js';

/**
 * Backup writes only paths archive-paths.ts built, which readers accept; should one ever not be,
 * the backup fails as a bug of its own making (a reader would refuse the archive), with a message
 * about writing, never about restoring.
 */
function checkWrittenPath(archivePath: string): void {
	const reason = unsafePathReason(archivePath);
	if (reason) throw new Error(`Refusing to write archive entry ${JSON.stringify(archivePath).slice(0, 120)} (${reason}): no reader would accept it; no backup was written`);
}

/**
 * Writes entries into an archive one at a time, hashing each as it streams through. Files are
 * always added from disk with their size known up front (tar needs it, and it keeps archiver
 * from buffering a stream whole).
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
};

export function createArchiveWriter(options: WriterOptions): ArchiveWriter {
	if (options.format === 'tar.zst') return createZstdWriter(options);
	return options.format === 'dir' ? createDirectoryWriter(options) : createStreamingWriter(options);
}

/** Reads exactly `size` bytes of a file, failing if it changed size while we read it. */
export function readExactly(file: string, size: number): Readable {
	if (size === 0) {
		const empty = new PassThrough();
		empty.end();
		return empty;
	}
	const source = fs.createReadStream(file, {start: 0, end: size - 1, highWaterMark: 256 * 1024});
	let seen = 0;
	const check = new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			seen += chunk.length;
			callback(null, chunk);
		},
		flush(callback) {
			callback(seen === size ? null : new LifeboatError('source-changed', `${file} changed while being backed up (${seen} of ${size} bytes); nothing was written, run the backup again`));
		},
	});
	source.on('error', error => check.destroy(error));
	return source.pipe(check);
}

type StreamingPipeline = {
	archive: Archiver;
	output: Writable;
	/** The archive's checksum, taken on the way to disk. */
	outputDigest: ReturnType<typeof hashingTap>;
	/** The first error of any stage of the pipeline. */
	failure(): Error | undefined;
};

/** archiver → (encryption) → checksum → the output file, with every stage's first error kept. */
function openStreamingPipeline(options: WriterOptions): StreamingPipeline {
	// zip64 records switch on by themselves past 65,535 entries or 4 GiB; force them when the
	// archive may get near that so every reader sees consistent zip64 end records.
	const archive: Archiver =
		options.format === 'zip'
			? new ZipArchive({zlib: {level: 6}, forceZip64: (options.expectedBytes ?? 0) > 3.5 * 1024 ** 3})
			: new TarArchive({gzip: true, gzipOptions: {level: 6}});
	let output: Writable;
	if (typeof options.output !== 'string') output = options.output;
	else {
		try {
			// Owner-only from the start (the mode is set again at the end, whatever the umask).
			output = fs.createWriteStream(options.output, {flags: 'wx', mode: PRIVATE_FILE_MODE});
		} catch (error) {
			describeFsError(error, options.output);
		}
	}
	let failure: Error | undefined;
	const fail = (error: Error) => {
		failure ??= error;
	};
	archive.on('error', fail);
	archive.on('warning', fail);
	output.on('error', fail);
	// The archive's own checksum is taken on the way to disk, so it is never read back.
	const outputDigest = hashingTap();
	outputDigest.transform.on('error', fail);
	if (options.outputTransform) {
		options.outputTransform.on('error', fail);
		archive.pipe(options.outputTransform).pipe(outputDigest.transform).pipe(output);
	} else {
		archive.pipe(outputDigest.transform).pipe(output);
	}
	return {archive, output, outputDigest, failure: () => failure};
}

/** Appends one entry and waits for archiver to report it processed (or for an error on the way). */
function appendEntry({archive, output}: StreamingPipeline, piped: Readable, archivePath: string, data: object): Promise<void> {
	return new Promise<void>((resolve, reject) => {
		const onEntry = (entry: {name: string}) => {
			if (entry.name !== archivePath) return;
			cleanup();
			resolve();
		};
		const onError = (error: Error) => {
			cleanup();
			reject(error);
		};
		const cleanup = () => {
			archive.off('entry', onEntry);
			archive.off('error', onError);
			output.off('error', onError);
			piped.off('error', onError);
		};
		archive.on('entry', onEntry);
		archive.on('error', onError);
		output.on('error', onError);
		piped.on('error', onError);
		archive.append(piped, data as never);
	});
}

function createStreamingWriter(options: WriterOptions): ArchiveWriter {
	const pipeline = openStreamingPipeline(options);
	const {archive, output, outputDigest} = pipeline;

	// Entries are added one at a time: wait for archiver to report each one processed.
	const add = async (archivePath: string, source: Readable, stats: fs.Stats | undefined, store: boolean) => {
		if (pipeline.failure()) throw pipeline.failure();
		checkWrittenPath(archivePath);
		const counter = hashingTap(options.onBytes);
		source.on('error', error => counter.transform.destroy(error));
		const piped = source.pipe(counter.transform);
		await appendEntry(pipeline, piped, archivePath, {name: archivePath, stats, date: options.date ?? new Date(), mode: 0o644, ...(options.format === 'zip' ? {store} : {})});
		if (pipeline.failure()) throw pipeline.failure();
		return {path: archivePath, ...counter.result()};
	};

	return {
		async addFile(archivePath, file, addOptions) {
			const stats = fs.statSync(file);
			return add(archivePath, readExactly(file, stats.size), stats, addOptions?.store ?? false);
		},
		async addBuffer(archivePath, content) {
			const source = new PassThrough();
			source.end(content);
			// tar needs the size up front; a Stats-shaped object carries it.
			const stats = Object.assign(new fs.Stats(), {size: content.length, mode: 0o100644, mtime: new Date(0)});
			return add(archivePath, source, stats, false);
		},
		async finish() {
			if (pipeline.failure()) throw pipeline.failure();
			const file = typeof options.output === 'string' ? options.output : undefined;
			const closed = new Promise<void>((resolve, reject) => {
				// A file is done when closed; a stream when it has taken every byte.
				output.on(file ? 'close' : 'finish', () => (pipeline.failure() ? reject(pipeline.failure()) : resolve()));
				output.on('error', reject);
			});
			await archive.finalize();
			// finalize() can resolve before the file is fully written: wait for close.
			await closed;
			if (file) {
				fs.chmodSync(file, PRIVATE_FILE_MODE);
				await fsyncPath(file);
			}
			return outputDigest.result();
		},
		async abort() {
			archive.abort();
			output.destroy();
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
			const stats = fs.statSync(file);
			return write(archivePath, readExactly(file, stats.size));
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
