/**
 * The tar.zst writer: entries packed as a tar stream (tar-stream, POSIX ustar/pax headers, what
 * tar.gz holds), compressed by a `zstd -T0` child (every core), then as the other formats:
 * (encryption) → checksum → the output. The child is killed on abort or any failure.
 */
import fs from 'node:fs';
import {finished, PassThrough, type Readable, type Writable} from 'node:stream';
import tarStream from 'tar-stream';
import {describeFsError, LifeboatError} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {fsyncPath, PRIVATE_FILE_MODE} from '../private-fs.js';
import {openSync, readExactly, type ArchiveWriter, type WriterOptions} from './archive-writer.js';
import {unsafePathReason} from './entry-guard.js';
import {zstdCompressor} from './zstd-process.js';

function openOutput(output: string | Writable): Writable {
	if (typeof output !== 'string') return output;
	try {
		// Owner-only from the start (the mode is set again at the end, whatever the umask).
		return fs.createWriteStream(output, {flags: 'wx', mode: PRIVATE_FILE_MODE});
	} catch (error) {
		describeFsError(error, output);
	}
}

function checkWrittenPath(archivePath: string): void {
	const reason = unsafePathReason(archivePath);
	if (reason) throw new Error(`Refusing to write archive entry ${JSON.stringify(archivePath).slice(0, 120)} (${reason}): no reader would accept it; no backup was written`);
}

/** Streams `source` (exactly `size` bytes) into the pack as one entry, resolving once it is in. */
function packEntry(pack: tarStream.Pack, header: Partial<tarStream.Header>, source: Readable): Promise<void> {
	return new Promise<void>((resolve, reject) => {
		const entry = pack.entry(header as tarStream.Header, error => (error ? reject(error) : resolve()));
		source.on('error', error => {
			entry.destroy(error);
			reject(error);
		});
		source.pipe(entry);
	});
}

export function createZstdWriter(options: WriterOptions): ArchiveWriter {
	const compressor = zstdCompressor(options.level);
	const pack = tarStream.pack();
	const output = openOutput(options.output);
	const outputDigest = hashingTap();
	let failure: Error | undefined;
	// Rejects once any stage fails, so no add or finish waits on a pipeline that stopped.
	let rejectFailed: (error: Error) => void = () => undefined;
	const failed = new Promise<never>((_resolve, reject) => (rejectFailed = reject));
	failed.catch(() => undefined);
	const fail = (error: Error) => {
		if (failure) return;
		failure = error;
		rejectFailed(error);
	};
	const stages = [pack, compressor, outputDigest.transform, output, ...(options.outputTransform ? [options.outputTransform] : [])];
	for (const stage of stages) {
		stage.on('error', fail);
		// A stage destroyed without an error (a discarded stream, a reader gone) emits neither
		// 'error' nor 'drain' again: closed before it finished, it fails the archive.
		finished(stage as NodeJS.ReadableStream | Writable, {readable: stage === pack, error: false}, error => {
			if (error) fail(new LifeboatError('destination', `The backup's output closed before the archive was complete; nothing usable was written`, {cause: error}));
		});
	}
	const compressed = pack.pipe(compressor);
	(options.outputTransform ? compressed.pipe(options.outputTransform) : compressed).pipe(outputDigest.transform).pipe(output);
	const date = options.date ?? new Date();
	const add = async (archivePath: string, source: Readable, size: number) => {
		if (failure) throw failure;
		checkWrittenPath(archivePath);
		const counter = hashingTap(options.onBytes);
		source.on('error', error => counter.transform.destroy(error));
		await Promise.race([packEntry(pack, {name: archivePath, size, mode: 0o644, mtime: date, type: 'file'}, source.pipe(counter.transform)), failed]);
		if (failure) throw failure;
		return {path: archivePath, ...counter.result()};
	};
	return {
		async addFile(archivePath, file) {
			// Sized from the open handle: one whole version of a file saved over meanwhile.
			const {fd, size} = openSync(file);
			return add(archivePath, readExactly(file, fd, size), size);
		},
		async addBuffer(archivePath, content) {
			const source = new PassThrough();
			source.end(content);
			return add(archivePath, source, content.length);
		},
		async finish() {
			if (failure) throw failure;
			const file = typeof options.output === 'string' ? options.output : undefined;
			const closed = new Promise<void>((resolve, reject) => {
				output.on(file ? 'close' : 'finish', () => (failure ? reject(failure) : resolve()));
				output.on('error', reject);
			});
			pack.finalize();
			await Promise.race([closed, failed]);
			if (file) {
				fs.chmodSync(file, PRIVATE_FILE_MODE);
				await fsyncPath(file);
			}
			return outputDigest.result();
		},
		async abort() {
			pack.destroy();
			compressor.destroy();
			output.destroy();
			await new Promise(resolve => setImmediate(resolve));
		},
	};
}
