import fs from 'node:fs';
import path from 'node:path';
import {PassThrough, Transform, type Readable} from 'node:stream';
import zlib from 'node:zlib';
import tarStream from 'tar-stream';
import unzipper from 'unzipper';
import {LifeboatError} from '../errors.js';
import {formatFromPath, type ArchiveFormat} from './archive-format.js';
import {byteLimiter, checkEntryPath, checkRatio, READ_LIMITS} from './entry-guard.js';

export type ArchiveEntry = {
	/** Checked, canonical archive path (no leading slash, no `..`). */
	path: string;
	kind: 'file' | 'directory';
	/** Declared uncompressed size; reading more than this fails. */
	size: number;
	/** The entry's bytes. Each entry must be read (or drained) before asking for the next. */
	open(): Readable;
};

export type ArchiveReader = {
	format: ArchiveFormat;
	/** Entries in archive order; unsafe entries (links, escaping paths, bombs) throw. */
	entries(): AsyncGenerator<ArchiveEntry>;
	/** Random access to one entry where the format allows it (zip, dir); undefined otherwise. */
	readEntry?(archivePath: string): Promise<Buffer | undefined>;
};

/** Byte-range access to a zip's bytes: a plain file, or an encrypted one decrypted on the fly. */
export type ZipSource = {size(): Promise<number>; stream(offset: number, length?: number): Readable};

/** Sequential access to a tar.gz's bytes. */
export type StreamSource = () => Promise<Readable>;

export type ArchiveSource =
	| {format: 'zip'; zip: ZipSource; label: string}
	| {format: 'tar.gz'; open: StreamSource; label: string}
	| {format: 'dir'; dir: string; label: string};

export function plainFileSource(location: string): ArchiveSource {
	let stats: fs.Stats;
	try {
		stats = fs.statSync(location);
	} catch {
		throw new LifeboatError('usage', `No backup at ${location}`);
	}
	if (stats.isDirectory()) return {format: 'dir', dir: location, label: location};
	const format = formatFromPath(location) ?? sniffFormat(location);
	if (format === 'zip') {
		return {
			format,
			label: location,
			zip: {
				size: async () => stats.size,
				stream: (offset, length) => fs.createReadStream(location, {start: offset, end: length === undefined ? undefined : offset + length - 1}),
			},
		};
	}
	return {format: 'tar.gz', label: location, open: async () => fs.createReadStream(location)};
}

/** Tells zip from gzip by magic bytes when the name does not say. */
function sniffFormat(location: string): ArchiveFormat {
	const fd = fs.openSync(location, 'r');
	const head = Buffer.alloc(4);
	fs.readSync(fd, head, 0, 4, 0);
	fs.closeSync(fd);
	if (head[0] === 0x50 && head[1] === 0x4b) return 'zip';
	if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
	throw new LifeboatError('corrupt-archive', `${location} is not a Lifeboat backup (neither zip, tar.gz nor a backup folder)`);
}

export function openArchive(source: ArchiveSource): ArchiveReader {
	if (source.format === 'zip') return zipReader(source.zip, source.label);
	if (source.format === 'tar.gz') return tarGzReader(source.open, source.label);
	return dirReader(source.dir);
}

/** Maps low-level parse errors to one operator-facing line. */
function corrupt(label: string, error: unknown): LifeboatError {
	if (error instanceof LifeboatError) return error;
	const message = (error as Error)?.message ?? String(error);
	const truncated = /unexpected end|FILE_ENDED|premature|truncated|end of file/i.test(message);
	return new LifeboatError('corrupt-archive', `${path.basename(label)} is ${truncated ? 'truncated' : 'corrupt'} (${message})`, {cause: error});
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

function zipReader(zip: ZipSource, label: string): ArchiveReader {
	// unzipper pipes the source's streams without listening for their errors (an encrypted
	// source fails a stream when a segment does not authenticate). Catch those here, end the
	// stream so unzipper is not left waiting, and fail whatever is reading with the real cause.
	let failure: LifeboatError | undefined;
	const waiters = new Set<(error: LifeboatError) => void>();
	const failed = (error: unknown) => {
		failure ??= corrupt(label, error);
		for (const waiter of waiters) waiter(failure);
	};
	const guarded: ZipSource = {
		size: () => zip.size(),
		stream(offset, length) {
			const out = new PassThrough();
			const source = zip.stream(offset, length);
			source.on('error', error => {
				failed(error);
				out.end();
			});
			return source.pipe(out);
		},
	};
	const whenFailed = <T>(work: Promise<T>): Promise<T> =>
		new Promise<T>((resolve, reject) => {
			if (failure) reject(failure);
			const waiter = (error: LifeboatError) => reject(error);
			waiters.add(waiter);
			work.then(resolve, reject).finally(() => waiters.delete(waiter));
		});
	let directory: Promise<unzipper.CentralDirectory> | undefined;
	const load = () => {
		directory ??= whenFailed(unzipper.Open.custom(guarded as never)).catch(error => {
			throw corrupt(label, failure ?? error);
		});
		return directory;
	};
	const toEntry = (file: unzipper.File): ArchiveEntry => {
		const name = checkEntryPath(file.path);
		const mode = (file.externalFileAttributes >>> 16) & S_IFMT;
		if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) {
			throw new LifeboatError('unsafe-archive', `Entry "${name}" is a link or special file; backups hold only regular files; nothing was restored`);
		}
		const size = file.uncompressedSize;
		checkRatio(name, size, file.compressedSize);
		return {
			path: name.replace(/\/$/, ''),
			kind: file.type === 'Directory' || mode === S_IFDIR ? 'directory' : 'file',
			size,
			open: () => {
				const limiter = byteLimiter(name, size);
				const stream = file.stream();
				const waiter = (error: LifeboatError) => limiter.destroy(error);
				if (failure) queueMicrotask(() => limiter.destroy(failure));
				waiters.add(waiter);
				limiter.on('close', () => waiters.delete(waiter));
				stream.on('error', error => limiter.destroy(corrupt(label, failure ?? error)));
				return stream.pipe(limiter);
			},
		};
	};
	return {
		format: 'zip',
		async *entries() {
			const {files} = await load();
			if (files.length > READ_LIMITS.maxEntries) throw new LifeboatError('unsafe-archive', `Archive has ${files.length} entries (limit ${READ_LIMITS.maxEntries})`);
			for (const file of files) yield toEntry(file);
		},
		async readEntry(archivePath) {
			const {files} = await load();
			const file = files.find(candidate => candidate.path === archivePath);
			if (!file) return undefined;
			return readAll(toEntry(file), READ_LIMITS.maxJsonBytes);
		},
	};
}

function tarGzReader(open: StreamSource, label: string): ArchiveReader {
	return {
		format: 'tar.gz',
		async *entries() {
			const raw = await open();
			let compressed = 0;
			let expanded = 0;
			const countIn = new Transform({
				transform(chunk: Buffer, _encoding, callback) {
					compressed += chunk.length;
					callback(null, chunk);
				},
			});
			// Whole-stream bomb guard: gzip cannot legitimately expand past ~1032:1.
			const countOut = new Transform({
				transform(chunk: Buffer, _encoding, callback) {
					expanded += chunk.length;
					if (expanded > 64 * READ_LIMITS.ratioFloorBytes && expanded / Math.max(compressed, 1) > READ_LIMITS.maxRatio) {
						callback(new LifeboatError('unsafe-archive', `${path.basename(label)} expands over ${READ_LIMITS.maxRatio}:1: refusing a likely decompression bomb`));
						return;
					}
					callback(null, chunk);
				},
			});
			const extract = tarStream.extract();
			const fail = (error: unknown) => extract.destroy(corrupt(label, error));
			raw.on('error', fail);
			countIn.on('error', fail);
			const gunzip = zlib.createGunzip();
			gunzip.on('error', fail);
			countOut.on('error', fail);
			raw.pipe(countIn).pipe(gunzip).pipe(countOut).pipe(extract);
			let count = 0;
			try {
				for await (const entry of extract) {
					const header = entry.header;
					if (++count > READ_LIMITS.maxEntries) throw new LifeboatError('unsafe-archive', `Archive has more than ${READ_LIMITS.maxEntries} entries`);
					const name = checkEntryPath(header.name);
					if (header.type !== 'file' && header.type !== 'directory') {
						throw new LifeboatError('unsafe-archive', `Entry "${name}" is a ${header.type}; backups hold only regular files; nothing was restored`);
					}
					// Listen for the entry's end as soon as it is opened: streamx emits it once.
					let finished: Promise<void> | undefined;
					yield {
						path: name.replace(/\/$/, ''),
						kind: header.type === 'directory' ? 'directory' : 'file',
						size: header.size ?? 0,
						open: () => {
							finished = new Promise<void>(resolve => {
								entry.once('end', () => resolve());
								entry.once('close', () => resolve());
								entry.once('error', () => resolve());
							});
							// Per-entry bomb guard: bytes out of this entry against compressed bytes
							// consumed since it began (a bomb hidden among real data still trips it).
							const compressedAtStart = compressed;
							let entryBytes = 0;
							const ratioGuard = new Transform({
								transform(chunk: Buffer, _encoding, callback) {
									entryBytes += chunk.length;
									if (entryBytes > READ_LIMITS.streamRatioFloorBytes && entryBytes / Math.max(compressed - compressedAtStart, 1) > READ_LIMITS.streamRatio) {
										callback(new LifeboatError('unsafe-archive', `Entry "${name}" expands over ${READ_LIMITS.streamRatio}:1 in the compressed stream: refusing a likely decompression bomb; nothing was restored`));
										return;
									}
									callback(null, chunk);
								},
							});
							const limiter = byteLimiter(name, header.size ?? 0);
							// pipe() does not forward errors: a failing entry must fail what is read.
							limiter.on('error', error => ratioGuard.destroy(error));
							entry.once('error', (error: Error) => ratioGuard.destroy(error));
							return entry.pipe(limiter).pipe(ratioGuard);
						},
					};
					if (finished) await finished;
					else entry.resume();
				}
			} catch (error) {
				raw.destroy();
				throw corrupt(label, error);
			}
		},
	};
}

function dirReader(root: string): ArchiveReader {
	const toEntry = (relative: string, full: string, stats: fs.Stats): ArchiveEntry => ({
		path: checkEntryPath(relative),
		kind: stats.isDirectory() ? 'directory' : 'file',
		size: stats.size,
		open: () => fs.createReadStream(full).pipe(byteLimiter(relative, stats.size)),
	});
	return {
		format: 'dir',
		async *entries() {
			const walk = async function* (dir: string): AsyncGenerator<ArchiveEntry> {
				const names = fs.readdirSync(dir).sort();
				for (const name of names) {
					const full = path.join(dir, name);
					const relative = path.relative(root, full).split(path.sep).join('/');
					const stats = fs.lstatSync(full);
					if (stats.isSymbolicLink() || (!stats.isFile() && !stats.isDirectory())) {
						throw new LifeboatError('unsafe-archive', `Entry "${relative}" is a link or special file; backups hold only regular files; nothing was restored`);
					}
					if (stats.isDirectory()) yield* walk(full);
					else yield toEntry(relative, full, stats);
				}
			};
			yield* walk(root);
		},
		async readEntry(archivePath) {
			const full = path.join(root, ...checkEntryPath(archivePath).split('/'));
			const stats = fs.lstatSync(full, {throwIfNoEntry: false});
			if (!stats) return undefined;
			if (!stats.isFile()) throw new LifeboatError('unsafe-archive', `Entry "${archivePath}" is not a regular file`);
			return readAll(toEntry(archivePath, full, stats), READ_LIMITS.maxJsonBytes);
		},
	};
}

/** Reads a whole (small) entry, bounded: for metadata.json and manifest.json only. */
export async function readAll(entry: ArchiveEntry, max: number): Promise<Buffer> {
	if (entry.size > max) throw new LifeboatError('unsafe-archive', `Entry "${entry.path}" is too large to be ${entry.path} (${entry.size} bytes)`);
	const chunks: Buffer[] = [];
	for await (const chunk of entry.open()) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

export function emptyStream(): Readable {
	const stream = new PassThrough();
	stream.end();
	return stream;
}
