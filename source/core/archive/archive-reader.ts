import fs from 'node:fs';
import path from 'node:path';
import {PassThrough, Transform, type Readable} from 'node:stream';
import zlib from 'node:zlib';
import tarStream from 'tar-stream';
import type unzipper from 'unzipper';
import {LifeboatError} from '../errors.js';
import {TextDecoder} from 'node:util';
import {ENCRYPTED_SUFFIX, formatFromPath, MANIFEST_PATH, METADATA_PATH, type ArchiveFormat, type StreamFormat, type TarFormat} from './archive-format.js';
import {jsonBundleReader, looksLikeJsonBundle} from './json-bundle-reader.js';
import {byteLimiter, checkArchiveRatio, checkEntryPath, checkJsonEntrySize, checkRatio, manifestLimit, READ_LIMITS} from './entry-guard.js';
import {MAGIC} from '../crypto/encrypted-format.js';
import {hasZstdMagic, zstdDecompressor} from './zstd-process.js';

export type ArchiveEntry = {
	/** Checked, canonical archive path (no leading slash, no `..`). */
	path: string;
	kind: 'file' | 'directory';
	/** Declared uncompressed size; reading more than this fails. */
	size: number;
	/**
	 * Set when the reader will not inflate this entry (a zip entry manifest.json does not list, or
	 * lists with another size): `open()` then fails with this reason without inflating anything.
	 */
	refusal?: string;
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

/** Sequential access to a tar.gz's, tar.zst's or JSON bundle's bytes. */
export type StreamSource = () => Promise<Readable>;

export type ArchiveSource =
	| {format: 'zip'; zip: ZipSource; label: string}
	| {format: StreamFormat; open: StreamSource; label: string}
	| {format: 'dir'; dir: string; label: string};

export function plainFileSource(location: string): ArchiveSource {
	let stats: fs.Stats;
	try {
		stats = fs.statSync(location);
	} catch {
		throw new LifeboatError('usage', `No backup at ${location}`);
	}
	if (stats.isDirectory()) {
		// A Lifeboat folder backup starts with metadata.json: any other folder is refused at once,
		// before its tree is walked (a home folder given by mistake must not be read through).
		const metadata = fs.lstatSync(path.join(location, METADATA_PATH), {throwIfNoEntry: false});
		if (!metadata?.isFile()) throw new LifeboatError('corrupt-archive', `${location} is not a Lifeboat backup (a folder without metadata.json)`);
		return {format: 'dir', dir: location, label: location};
	}
	// A FIFO, a device or a socket named like a backup: opening it would wait for a writer forever.
	if (!stats.isFile()) throw new LifeboatError('corrupt-archive', `${location} is not a Lifeboat backup (not a regular file)`);
	const format = sniffFormat(location);
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
	return {format, label: location, open: async () => fs.createReadStream(location)};
}

export function notABackup(label: string): LifeboatError {
	return new LifeboatError('corrupt-archive', `${label} is not a Lifeboat backup (neither zip, tar.gz, tar.zst, JSON bundle, encrypted backup nor folder)`);
}

/**
 * Tells a plain file's format by its magic bytes (its name may lie). An unencrypted file named
 * `.enc`, or one that begins much like the encrypted-backup magic, is an encrypted backup whose
 * header was damaged; anything else unknown is not a backup at all.
 */
function sniffFormat(location: string): Exclude<ArchiveFormat, 'dir'> {
	const fd = fs.openSync(location, 'r');
	const head = Buffer.alloc(MAGIC.length);
	const read = fs.readSync(fd, head, 0, head.length, 0);
	fs.closeSync(fd);
	return sniffHead(head.subarray(0, read), location);
}

/**
 * The format a backup's first bytes (at least the magic's length, unless it is shorter) show;
 * `label` names it in errors and its suffix (`.enc`) is a hint.
 */
export function sniffHead(head: Buffer, label: string): Exclude<ArchiveFormat, 'dir'> {
	const read = Math.min(head.length, MAGIC.length);
	if (read >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return 'zip';
	if (read >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
	if (hasZstdMagic(head)) return 'tar.zst';
	// A JSON bundle: its first byte past whitespace is `{` (json-bundle-reader.ts checks the rest).
	if (looksLikeJsonBundle(head)) return 'json';
	// An intact encrypted backup is opened through openBackupSource; here it is only named.
	if (read === MAGIC.length && head.subarray(0, read).equals(MAGIC)) {
		const named = formatFromPath(label);
		return named === undefined || named === 'dir' ? 'zip' : named;
	}
	let alike = 0;
	for (let index = 0; index < read; index++) if (head[index] === MAGIC[index]) alike++;
	if (label.endsWith(ENCRYPTED_SUFFIX) || alike >= MAGIC.length / 2) {
		throw new LifeboatError('corrupt-archive', `${label}: encrypted backup has a damaged header (its first bytes are not the Lifeboat encrypted-backup magic)`);
	}
	throw notABackup(label);
}

export function openArchive(source: ArchiveSource): ArchiveReader {
	if (source.format === 'zip') return zipReader(source.zip, source.label);
	if (source.format === 'dir') return dirReader(source.dir);
	if (source.format === 'json') return jsonBundleReader(source.open, source.label);
	return tarReader(source.format, source.open, source.label);
}

/** Maps low-level parse errors to one operator-facing line. */
function corrupt(label: string, error: unknown): LifeboatError {
	if (error instanceof LifeboatError) return error;
	const message = (error as Error)?.message ?? String(error);
	const refused = cannotRead(label, error);
	if (refused) return refused;
	const truncated = /unexpected end|FILE_ENDED|premature|truncated|end of file/i.test(message);
	return new LifeboatError('corrupt-archive', `${path.basename(label)} is ${truncated ? 'truncated' : 'corrupt'} (${message})`, {cause: error});
}

/** A read or open of the archive's file that the system refused. */
export function unreadable(error: unknown): boolean {
	const syscall = (error as NodeJS.ErrnoException | undefined)?.syscall;
	return syscall === 'read' || syscall === 'open';
}

/**
 * Reading the archive's file failed (EIO from a failing disk, a file gone): that says nothing of its
 * bytes, so it is the destination's problem (exit 4), not damage (5). Undefined for any other error.
 */
export function cannotRead(label: string, error: unknown): LifeboatError | undefined {
	if (!unreadable(error)) return undefined;
	return new LifeboatError('destination', `${path.basename(label)} cannot be read (${(error as Error).message})`, {cause: error});
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

type ZipIndex = {
	files: unzipper.File[];
	/** Path → size of every file manifest.json lists; undefined when it is missing or unreadable. */
	listed: Map<string, number> | undefined;
};

/**
 * Refuses a central directory whose entries overlap (several records at one offset, or one
 * entry's data running into the next: the "overlapping files" zip bomb) or lie beyond the
 * central directory. Each entry spans at least its 30-byte local header, its name and its
 * compressed data. Checked before anything is inflated.
 */
function checkOverlaps(files: unzipper.File[], centralDirectoryOffset: number, label: string): void {
	const spans = files.map(file => ({path: file.path, start: file.offsetToLocalFileHeader, end: file.offsetToLocalFileHeader + 30 + file.fileNameLength + file.compressedSize}));
	spans.sort((a, b) => a.start - b.start);
	for (const [index, span] of spans.entries()) {
		const next = spans[index + 1];
		const limit = next ? next.start : centralDirectoryOffset;
		if (span.end > limit) {
			const what = next ? `overlaps entry "${next.path.slice(0, 200)}"` : 'runs into the central directory';
			throw new LifeboatError('unsafe-archive', `${path.basename(label)}: entry "${span.path.slice(0, 200)}" ${what} (overlapping zip entries are a decompression bomb); nothing was restored`);
		}
	}
}

/** Path → size from manifest.json's bytes, or undefined when they are not a manifest (reported later by its parser). */
function listing(text: Buffer): Map<string, number> | undefined {
	let value: {files?: unknown} | null;
	try {
		value = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(text)) as {files?: unknown} | null;
	} catch {
		return undefined;
	}
	if (!value || typeof value !== 'object' || !Array.isArray(value.files)) return undefined;
	const listed = new Map<string, number>();
	for (const file of value.files as Array<{path?: unknown; size?: unknown} | null>) {
		if (typeof file?.path === 'string' && Number.isSafeInteger(file.size) && (file.size as number) >= 0) listed.set(file.path, file.size as number);
	}
	return listed;
}

/** Why a zip entry must not be inflated: manifest.json does not list it, or lists another size. */
function unlisted(name: string, size: number, listed: Map<string, number> | undefined): string | undefined {
	if (!listed || name === METADATA_PATH || name === MANIFEST_PATH) return undefined;
	const expected = listed.get(name);
	if (expected === undefined) return 'in the archive but not in the manifest';
	if (expected !== size) return `size ${size} does not match the manifest (${expected})`;
	return undefined;
}

function failedStream(error: Error): Readable {
	const stream = new PassThrough();
	queueMicrotask(() => stream.destroy(error));
	return stream;
}

/**
 * The first failure of a zip's source, and whatever is waiting on it. unzipper pipes the source's
 * streams without listening for their errors (an encrypted source fails a stream when a segment
 * does not authenticate): those are caught here and fail whatever is reading with the real cause.
 */
class ZipFailure {
	error: LifeboatError | undefined;
	private readonly waiters = new Set<(error: LifeboatError) => void>();

	constructor(private readonly label: string) {}

	fail(error: unknown): void {
		this.error ??= corrupt(this.label, error);
		for (const waiter of this.waiters) waiter(this.error);
	}

	/** Calls `waiter` on a failure until the returned function is called. */
	watch(waiter: (error: LifeboatError) => void): () => void {
		this.waiters.add(waiter);
		return () => this.waiters.delete(waiter);
	}

	/** `work`, rejected as soon as the source fails. */
	whenFailed<T>(work: Promise<T>): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			if (this.error) reject(this.error);
			const unwatch = this.watch(error => reject(error));
			work.then(resolve, reject).finally(unwatch);
		});
	}
}

/** The zip source with its streams' errors caught: each ends its stream so unzipper is not left waiting. */
function guardedZipSource(zip: ZipSource, failure: ZipFailure): ZipSource {
	return {
		size: () => zip.size(),
		stream(offset, length) {
			const out = new PassThrough();
			const source = zip.stream(offset, length);
			source.on('error', error => {
				failure.fail(error);
				out.end();
			});
			// A reader that stops early destroys `out`: the source stops too (an encrypted local
			// backup's range stream holds the file open until it ends).
			out.on('close', () => source.destroy());
			return source.pipe(out);
		},
	};
}

/** Inflated bytes handed on per chunk: zlib's default 16 KiB costs a callback (and stream hops) per 16 KiB. */
const INFLATE_CHUNK = 256 * 1024;
/** What unzipper reads past an entry's header, name and data in case the local header's extra field is longer. */
const LOCAL_HEADER_SLACK = 1000;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;

/**
 * The compressed bytes of a zip entry, from its local header on: the header (30 bytes, then the
 * name and the extra field, whose local lengths it gives) is skipped, the next `compressedSize`
 * bytes are passed on, and a stream that ends before them fails as truncated.
 */
class LocalEntryData extends Transform {
	private header: Buffer | undefined = Buffer.alloc(0);
	private skip = 0;
	private left: number;

	constructor(compressedSize: number) {
		super();
		this.left = compressedSize;
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
		let data = chunk;
		if (this.header) {
			const header = Buffer.concat([this.header, data]);
			if (header.length < 30) {
				this.header = header;
				return callback();
			}
			if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) return callback(new Error('invalid local file header signature'));
			this.skip = 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
			this.header = undefined;
			data = header;
		}
		if (this.skip > 0) {
			const skipped = Math.min(this.skip, data.length);
			this.skip -= skipped;
			data = data.subarray(skipped);
		}
		if (this.left > 0 && data.length > 0) {
			const passed = data.length > this.left ? data.subarray(0, this.left) : data;
			this.left -= passed.length;
			this.push(passed);
		}
		callback();
	}

	override _flush(callback: (error?: Error | null) => void): void {
		// The message unzipper's reader gives (so a truncated entry reads as it did through it).
		callback(this.left > 0 || this.header ? new Error('FILE_ENDED') : null);
	}
}

/**
 * An entry read straight from its local header and inflated in large chunks, for the entries every
 * Lifeboat zip holds (stored or deflated, not zip-encrypted, sizes in the central directory);
 * anything else goes through unzipper's own entry reader.
 */
function entryStream(file: unzipper.File, zip: ZipSource): {stream: Readable; parts: Readable[]} {
	const plain = (file.flags & 0x01) === 0 && (file.compressionMethod === 0 || file.compressionMethod === 8) && file.compressedSize > 0;
	if (!plain) {
		return {stream: file.stream(), parts: []};
	}
	const length = 30 + LOCAL_HEADER_SLACK + file.fileNameLength + file.extraFieldLength + file.compressedSize;
	const source = zip.stream(file.offsetToLocalFileHeader, length);
	const data = new LocalEntryData(file.compressedSize);
	const inflater = file.compressionMethod === 8 ? zlib.createInflateRaw({chunkSize: INFLATE_CHUNK}) : undefined;
	const stream = inflater ? source.pipe(data).pipe(inflater) : source.pipe(data);
	return {stream, parts: inflater ? [source, data, inflater] : [source, data]};
}

/** An entry's inflated bytes, limited to its declared size, failed when the source fails. */
function inflateZipEntry(file: unzipper.File, zip: ZipSource, name: string, size: number, failure: ZipFailure, label: string): Readable {
	const limiter = byteLimiter(name, size);
	const {stream, parts} = entryStream(file, zip);
	// A reader that stops early (or a failure) leaves no source read open behind it.
	limiter.on('close', () => {
		for (const part of parts) part.destroy();
	});
	for (const part of parts) if (part !== stream) part.on('error', error => limiter.destroy(corrupt(label, failure.error ?? error)));
	if (failure.error) queueMicrotask(() => limiter.destroy(failure.error));
	const unwatch = failure.watch(error => limiter.destroy(error));
	limiter.on('close', unwatch);
	stream.on('error', error => limiter.destroy(corrupt(label, failure.error ?? error)));
	return stream.pipe(limiter);
}

type Inflate = (file: unzipper.File, name: string, size: number) => Readable;

function toZipEntry(file: unzipper.File, index: ZipIndex, inflate: Inflate): ArchiveEntry {
	const name = checkEntryPath(file.path);
	const mode = (file.externalFileAttributes >>> 16) & S_IFMT;
	if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) {
		throw new LifeboatError('unsafe-archive', `Entry "${name}" is a link or special file; backups hold only regular files; nothing was restored`);
	}
	const size = file.uncompressedSize;
	checkRatio(name, size, file.compressedSize);
	const entryPath = name.replace(/\/$/, '');
	const kind = file.type === 'Directory' || mode === S_IFDIR ? 'directory' : 'file';
	const refusal = kind === 'file' ? unlisted(entryPath, size, index.listed) : undefined;
	return {
		path: entryPath,
		kind,
		size,
		refusal,
		open: () => (refusal ? failedStream(new LifeboatError('unsafe-archive', `${entryPath}: ${refusal}; it was not read; nothing was restored`)) : inflate(file, name, size)),
	};
}

/** Everything checked from the central directory (and manifest.json) before any entry is inflated. */
async function indexZip(zip: ZipSource, guarded: ZipSource, failure: ZipFailure, label: string, inflate: Inflate): Promise<ZipIndex> {
	let directory: unzipper.CentralDirectory;
	try {
		// Loaded on first use: unzipper and its dependencies cost ~4 MB RSS, which a create never needs.
		const {Open} = (await import('unzipper')).default;
		directory = await failure.whenFailed(Open.custom(guarded as never));
	} catch (error) {
		throw (await looksLikeZip(guarded)) || failure.error ? corrupt(label, failure.error ?? error) : notABackup(label);
	}
	const {files} = directory;
	if (files.length > READ_LIMITS.maxEntries) throw new LifeboatError('unsafe-archive', `Archive has ${files.length} entries (limit ${READ_LIMITS.maxEntries})`);
	checkOverlaps(files, directory.offsetToStartOfCentralDirectory, label);
	const limits = jsonLimits(files.length, files.reduce((sum, file) => sum + file.fileNameLength, 0));
	for (const file of files) {
		if (file.path === METADATA_PATH || file.path === MANIFEST_PATH) checkJsonEntrySize(file.path, file.uncompressedSize, limits[file.path]);
	}
	checkArchiveRatio(path.basename(label), files.reduce((sum, file) => sum + file.uncompressedSize, 0), await zip.size());
	const manifest = files.find(file => file.path === MANIFEST_PATH);
	const text = manifest ? await failure.whenFailed(collect(inflate(manifest, MANIFEST_PATH, manifest.uncompressedSize))) : undefined;
	return {files, listed: text ? listing(text) : undefined};
}

function zipReader(zip: ZipSource, label: string): ArchiveReader {
	const failure = new ZipFailure(label);
	const guarded = guardedZipSource(zip, failure);
	const inflate: Inflate = (file, name, size) => inflateZipEntry(file, guarded, name, size, failure, label);
	let index: Promise<ZipIndex> | undefined;
	const load = () => {
		index ??= indexZip(zip, guarded, failure, label, inflate).catch(error => {
			throw corrupt(label, failure.error ?? error);
		});
		return index;
	};
	return {
		format: 'zip',
		async *entries() {
			const loaded = await load();
			for (const file of loaded.files) yield toZipEntry(file, loaded, inflate);
		},
		async readEntry(archivePath) {
			const loaded = await load();
			const file = loaded.files.find(candidate => candidate.path === archivePath);
			if (!file) return undefined;
			return collect(toZipEntry(file, loaded, inflate).open());
		},
	};
}

/** True when the zip's bytes begin with a zip signature (so a failure to read it is damage, not a wrong file). */
async function looksLikeZip(zip: ZipSource): Promise<boolean> {
	try {
		const head = await collect(zip.stream(0, 4));
		return head.length === 4 && head[0] === 0x50 && head[1] === 0x4b;
	} catch {
		return false;
	}
}

/** Limits of metadata.json and manifest.json for an archive of `entryCount` entries. */
function jsonLimits(entryCount: number, pathBytes: number): Record<string, number> {
	return {[METADATA_PATH]: READ_LIMITS.maxMetadataBytes, [MANIFEST_PATH]: manifestLimit(entryCount, pathBytes)};
}

async function collect(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/**
 * The tar stream of a tar.gz (zlib) or tar.zst (a zstd child), with compressed bytes counted
 * (`compressed()`) and the whole-stream bomb guard, cumulative: many small high-ratio entries trip
 * it as surely as one big one. `stop()` ends the reading (and kills a zstd child) early.
 */
function extractTar(raw: Readable, label: string, format: TarFormat): {extract: tarStream.Extract; compressed: () => number; stop: () => void} {
	let compressed = 0;
	let expanded = 0;
	const countIn = new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			compressed += chunk.length;
			callback(null, chunk);
		},
	});
	const countOut = new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			expanded += chunk.length;
			if (expanded > READ_LIMITS.archiveRatioFloorBytes && expanded / Math.max(compressed, 1) > READ_LIMITS.archiveRatio) {
				callback(new LifeboatError('unsafe-archive', `${path.basename(label)} expands over ${READ_LIMITS.archiveRatio}:1: refusing a likely decompression bomb; nothing was restored`));
				return;
			}
			callback(null, chunk);
		},
	});
	const extract = tarStream.extract();
	const fail = (error: unknown) => extract.destroy(corrupt(label, error));
	raw.on('error', fail);
	countIn.on('error', fail);
	const decompress = format === 'tar.gz' ? zlib.createGunzip() : zstdDecompressor(label);
	decompress.on('error', fail);
	countOut.on('error', fail);
	raw.pipe(countIn).pipe(decompress).pipe(countOut).pipe(extract);
	const stop = () => {
		raw.destroy();
		decompress.destroy();
	};
	return {extract, compressed: () => compressed, stop};
}

/** Resolves once the entry has ended (streamx emits that once: listen as soon as it is opened). */
function tarEntryFinished(entry: NodeJS.EventEmitter): Promise<void> {
	return new Promise<void>(resolve => {
		entry.once('end', () => resolve());
		entry.once('close', () => resolve());
		entry.once('error', () => resolve());
	});
}

type TarEntry = NodeJS.EventEmitter & {pipe<T extends NodeJS.WritableStream>(destination: T): T};

/** An entry's bytes, limited to its declared size and guarded against a bomb hidden in the stream. */
function openTarEntry(entry: TarEntry, name: string, size: number, declared: DeclaredTotal, compressed: () => number): Readable {
	// Per-entry bomb guard: bytes out of this entry against compressed bytes
	// consumed since it began (a bomb hidden among real data still trips it).
	const compressedAtStart = compressed();
	let entryBytes = 0;
	const ratioGuard = new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			entryBytes += chunk.length;
			if (entryBytes > READ_LIMITS.streamRatioFloorBytes && entryBytes / Math.max(compressed() - compressedAtStart, 1) > READ_LIMITS.streamRatio) {
				callback(new LifeboatError('unsafe-archive', `Entry "${name}" expands over ${READ_LIMITS.streamRatio}:1 in the compressed stream: refusing a likely decompression bomb; nothing was restored`));
				return;
			}
			callback(null, chunk);
		},
	});
	const limiter = byteLimiter(name, size);
	// pipe() does not forward errors: a failing entry must fail what is read.
	limiter.on('error', error => ratioGuard.destroy(error));
	entry.once('error', (error: Error) => ratioGuard.destroy(error));
	const head: Readable = name === METADATA_PATH ? entry.pipe(declared.tap()) : (entry as unknown as Readable);
	return head.pipe(limiter).pipe(ratioGuard);
}

function tarReader(format: TarFormat, open: StreamSource, label: string): ArchiveReader {
	return {
		format,
		async *entries() {
			const raw = await open();
			const {extract, compressed, stop} = extractTar(raw, label, format);
			let count = 0;
			let pathBytes = 0;
			const declared = new DeclaredTotal(label);
			try {
				for await (const entry of extract) {
					const header = entry.header;
					if (++count > READ_LIMITS.maxEntries) throw new LifeboatError('unsafe-archive', `Archive has more than ${READ_LIMITS.maxEntries} entries`);
					const name = checkEntryPath(header.name);
					if (header.type !== 'file' && header.type !== 'directory') {
						throw new LifeboatError('unsafe-archive', `Entry "${name}" is a ${header.type}; backups hold only regular files; nothing was restored`);
					}
					pathBytes += Buffer.byteLength(name);
					if (name === METADATA_PATH || name === MANIFEST_PATH) checkJsonEntrySize(name, header.size ?? 0, jsonLimits(count, pathBytes)[name]!);
					else if (header.type === 'file') declared.add(name, header.size ?? 0);
					let finished: Promise<void> | undefined;
					yield {
						path: name.replace(/\/$/, ''),
						kind: header.type === 'directory' ? 'directory' : 'file',
						size: header.size ?? 0,
						open: () => {
							finished = tarEntryFinished(entry);
							return openTarEntry(entry, name, header.size ?? 0, declared, compressed);
						},
					};
					if (finished) await finished;
					else entry.resume();
				}
			} catch (error) {
				stop();
				throw corrupt(label, error);
			} finally {
				// A reader that stops early (a summary, a first entry) leaves no zstd child behind.
				stop();
			}
		},
	};
}

/**
 * A tar.gz is read front to back, so manifest.json (last) cannot be consulted before inflating;
 * metadata.json (first) can: once read, the file entries after it may not hold more bytes than
 * its totalBytes declares, checked from each entry's header before it is inflated.
 */
class DeclaredTotal {
	private total: number | undefined;
	private seen = 0;

	constructor(private readonly label: string) {}

	/** Passes metadata.json's bytes through, reading its totalBytes at the end (its size was checked first). */
	tap(): Transform {
		const chunks: Buffer[] = [];
		return new Transform({
			transform: (chunk: Buffer, _encoding, callback) => {
				chunks.push(chunk);
				callback(null, chunk);
			},
			flush: callback => {
				try {
					const value = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as {totalBytes?: unknown} | null)?.totalBytes;
					if (Number.isSafeInteger(value) && (value as number) >= 0) this.total = value as number;
				} catch {
					// Not JSON: its reader reports that.
				}
				callback();
			},
		});
	}

	add(name: string, size: number): void {
		this.seen += size;
		if (this.total !== undefined && this.seen > this.total) {
			throw new LifeboatError('unsafe-archive', `${path.basename(this.label)}: "${name}" takes the archive past the ${this.total} bytes its metadata.json declares; refusing a likely decompression bomb; nothing was restored`);
		}
	}
}

/** Entries and path bytes under a folder (for manifest.json's limit). */
function countTree(root: string): {count: number; pathBytes: number} {
	let count = 0;
	let pathBytes = 0;
	const walk = (dir: string, prefix: string) => {
		for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
			const relative = prefix + entry.name;
			count++;
			pathBytes += Buffer.byteLength(relative);
			if (entry.isDirectory()) walk(path.join(dir, entry.name), `${relative}/`);
		}
	};
	walk(root, '');
	return {count, pathBytes};
}

function dirReader(root: string): ArchiveReader {
	let limits: Record<string, number> | undefined;
	const checkSize = (relative: string, size: number) => {
		if (relative !== METADATA_PATH && relative !== MANIFEST_PATH) return;
		if (!limits) {
			const {count, pathBytes} = countTree(root);
			limits = jsonLimits(count, pathBytes);
		}
		checkJsonEntrySize(relative, size, limits[relative]!);
	};
	const toEntry = (relative: string, full: string, stats: fs.Stats): ArchiveEntry => {
		checkSize(relative, stats.size);
		return {
			path: checkEntryPath(relative),
			kind: stats.isDirectory() ? 'directory' : 'file',
			size: stats.size,
			open: () => fs.createReadStream(full).pipe(byteLimiter(relative, stats.size)),
		};
	};
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
			return collect(toEntry(archivePath, full, stats).open());
		},
	};
}

/**
 * Reads a whole (small) entry, bounded by `max` and, for metadata.json and manifest.json, by the
 * limits the readers already checked against the entry's declared size (which bounds its bytes).
 */
export async function readAll(entry: ArchiveEntry, max: number): Promise<Buffer> {
	if (entry.size > max) throw new LifeboatError('unsafe-archive', `Entry "${entry.path}" is too large to be ${entry.path} (${entry.size} bytes)`);
	return collect(entry.open());
}

/** The largest metadata.json / manifest.json any archive may hold (readers check the exact limit first). */
export function jsonEntryCeiling(archivePath: string): number {
	return archivePath === METADATA_PATH ? READ_LIMITS.maxMetadataBytes : manifestLimit(READ_LIMITS.maxEntries, 0);
}

export function emptyStream(): Readable {
	const stream = new PassThrough();
	stream.end();
	return stream;
}
