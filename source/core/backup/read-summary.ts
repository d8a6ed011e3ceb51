/**
 * What a listing shows about a backup, read from its first bytes only (a remote backup is never
 * downloaded to be listed): an encrypted file's plain header, or the metadata.json Lifeboat
 * writes as the first entry of every zip, tar.gz and tar.zst (decoded by a bounded zstd child).
 * Hostile input costs bounded bytes and work: a first entry that is not a Lifeboat metadata.json is refused as soon as its header shows it,
 * inflating stops at the largest metadata.json a reader accepts, and nothing past
 * {@link SUMMARY_READ_LIMIT} bytes of the blob is ever fetched.
 */
import zlib from 'node:zlib';
import {ARCHIVE_KIND, formatFromPath, METADATA_PATH, summarize, type ArchiveFormat, type BackupMetadata, type BackupSummary} from '../archive/archive-format.js';
import {readAll, sniffHead} from '../archive/archive-reader.js';
import {jsonBundleReader} from '../archive/json-bundle-reader.js';
import {Readable} from 'node:stream';
import {READ_LIMITS} from '../archive/entry-guard.js';
import type {RangedBlob} from '../archive/ranged-blob.js';
import {decodeZstdHead, zstdFirstBlockEnd} from '../archive/zstd-process.js';
import {FIXED_HEADER_LENGTH, hasMagic, parseHeader, parseHeaderLength} from '../crypto/encrypted-format.js';
import {LifeboatError} from '../errors.js';
import {isPlainObject} from '../json-text.js';
import {parseMetadata} from './read-metadata.js';

export type BackupSummaryRead = {
	format: ArchiveFormat;
	encrypted: boolean;
	summary: BackupSummary;
	/** Plain backups only: an encrypted one's metadata.json is inside the ciphertext. */
	metadata?: BackupMetadata;
};

/**
 * First read: the whole summary of a typical backup of any kind (an encrypted header is ~0.8 KiB,
 * a compressed metadata.json ~1.3 KiB plus ~20 bytes a tenant), so 1,000 backups list in ~2 MB.
 * Larger ones take more reads, each doubling what is held.
 */
export const SUMMARY_HEAD_BYTES = 2 * 1024;
/** Most bytes fetched for one summary: the largest metadata.json plus room for headers and deflate overhead. */
export const SUMMARY_READ_LIMIT = READ_LIMITS.maxMetadataBytes + 256 * 1024;

/** Lifeboat writes metadata.json with `kind` as its first key. */
const KIND_PREFIX = new RegExp(`^\\{\\s*"kind"\\s*:\\s*"${ARCHIVE_KIND}"`);
/** Enough of metadata.json to tell whether it begins like Lifeboat's. */
const KIND_PROBE_BYTES = 64;
const TAR_BLOCK = 512;
const ARCHIVE_ERRORS = new Set<LifeboatError['code']>(['corrupt-archive', 'unsupported-version', 'unsafe-archive']);

function refuse(label: string, reason: string): LifeboatError {
	return new LifeboatError('corrupt-archive', `${label}: ${reason} (not a readable Lifeboat backup)`);
}

/** The blob's first bytes, fetched in growing ranges and never past the limit. */
class Head {
	bytes: Buffer = Buffer.alloc(0);

	constructor(private readonly blob: RangedBlob) {}

	/** Fetches up to `length` bytes from the start (fewer where the blob or the limit ends). */
	async ensure(length: number): Promise<Buffer> {
		const want = Math.min(length, this.blob.size, SUMMARY_READ_LIMIT);
		if (this.bytes.length < want) {
			const more = await this.blob.readRange(this.bytes.length, want - this.bytes.length);
			this.bytes = Buffer.concat([this.bytes, more]);
		}
		return this.bytes;
	}

	/** Doubles what is held; false when nothing more can be fetched. */
	async grow(): Promise<boolean> {
		const before = this.bytes.length;
		await this.ensure(Math.max(before * 2, SUMMARY_HEAD_BYTES));
		return this.bytes.length > before;
	}
}

/**
 * Reads a backup's summary from its first bytes: the encrypted header, or the first entry of a
 * zip or tar.gz, which must be Lifeboat's metadata.json. Throws a one-line 'corrupt-archive'
 * LifeboatError (or 'unsupported-version') naming `blob.label` otherwise.
 */
export async function readBackupSummary(blob: RangedBlob): Promise<BackupSummaryRead> {
	const head = new Head(blob);
	const first = await head.ensure(SUMMARY_HEAD_BYTES);
	try {
		if (hasMagic(first)) return await encryptedSummary(head, blob.label);
		const format = sniffHead(first, blob.label);
		const metadata =
			format === 'zip' ? await zipMetadata(head, blob.label) : format === 'json' ? await jsonMetadata(head, blob.label) : await tarMetadata(head, blob.label, format === 'tar.zst' ? zstdDecoder(head, blob.label) : gzipDecoder);
		return {format, encrypted: false, summary: summarize(metadata, false), metadata};
	} catch (error) {
		if (!(error instanceof LifeboatError)) throw refuse(blob.label, (error as Error).message ?? String(error));
		// Errors of the shared parsers (metadata.json: …) get the backup's name; the blob's own (a
		// destination that cannot be read) already name where they come from.
		if (!ARCHIVE_ERRORS.has(error.code) || error.message.startsWith(blob.label)) throw error;
		throw new LifeboatError(error.code, `${blob.label}: ${error.message}`, {cause: error});
	}
}

async function encryptedSummary(head: Head, label: string): Promise<BackupSummaryRead> {
	const headerLength = parseHeaderLength(head.bytes.subarray(0, FIXED_HEADER_LENGTH));
	const bytes = await head.ensure(headerLength);
	if (bytes.length < headerLength) throw refuse(label, 'encrypted backup header is truncated');
	const summary = parseHeader(bytes).summary as Partial<BackupSummary>;
	if (!isPlainObject(summary) || summary.kind !== ARCHIVE_KIND || typeof summary.createdAt !== 'string') {
		throw refuse(label, 'its encrypted header holds no Lifeboat summary');
	}
	const format = summary.format ?? formatFromPath(label);
	if (format !== 'zip' && format !== 'tar.gz' && format !== 'tar.zst' && format !== 'json') throw refuse(label, `encrypted backup of unknown format ${String(format).slice(0, 40)}`);
	return {format, encrypted: true, summary: summary as BackupSummary};
}

type LocalHeader = {dataStart: number; method: number; size?: number};

/** The first zip entry's local header, once enough bytes are held; refuses anything but metadata.json. */
function localHeader(bytes: Buffer, label: string): LocalHeader | undefined {
	if (bytes.length < 30) return undefined;
	if (bytes.readUInt32LE(0) !== 0x04034b50) throw refuse(label, 'the zip does not begin with an entry');
	const flags = bytes.readUInt16LE(6);
	const method = bytes.readUInt16LE(8);
	const nameLength = bytes.readUInt16LE(26);
	const extraLength = bytes.readUInt16LE(28);
	const firstIsMetadata = nameLength === METADATA_PATH.length && (bytes.length < 30 + nameLength || bytes.subarray(30, 30 + nameLength).toString('latin1') === METADATA_PATH);
	if (!firstIsMetadata) throw refuse(label, `its first entry is not ${METADATA_PATH}`);
	if (flags & 1) throw refuse(label, `${METADATA_PATH} is encrypted with zip encryption`);
	if (method !== 0 && method !== 8) throw refuse(label, `${METADATA_PATH} uses compression method ${method}`);
	const dataStart = 30 + nameLength + extraLength;
	if (bytes.length < dataStart) return undefined;
	// Without a data descriptor (flag 3) the header holds the sizes; Lifeboat's writer streams, so they follow the data.
	const sized = (flags & 8) === 0;
	const size = sized ? bytes.readUInt32LE(22) : undefined;
	if (size !== undefined && size > READ_LIMITS.maxMetadataBytes) throw tooLarge(label, size);
	return {dataStart, method, size: sized ? (method === 0 ? size : bytes.readUInt32LE(18)) : undefined};
}

function tooLarge(label: string, size: number | string): LifeboatError {
	return refuse(label, `${METADATA_PATH} is ${size} bytes, more than a real one can be (limit ${READ_LIMITS.maxMetadataBytes} bytes)`);
}

/** metadata.json's bytes once complete (the stored size reached, or the JSON closed), else undefined. */
function completeJson(text: Buffer, label: string, complete: boolean): Buffer | undefined {
	if (text.length > READ_LIMITS.maxMetadataBytes) throw tooLarge(label, `over ${READ_LIMITS.maxMetadataBytes}`);
	if (text.length >= KIND_PROBE_BYTES && !KIND_PREFIX.test(text.subarray(0, KIND_PROBE_BYTES).toString('latin1'))) {
		throw refuse(label, `${METADATA_PATH} does not begin like Lifeboat's`);
	}
	if (complete) return text;
	// Lifeboat's metadata.json is one JSON object: it parses only once its closing brace is in.
	if (!/}\s*$/.test(text.subarray(Math.max(0, text.length - 16)).toString('latin1'))) return undefined;
	try {
		JSON.parse(text.toString('utf8'));
		return text;
	} catch {
		return undefined;
	}
}

async function zipMetadata(head: Head, label: string): Promise<BackupMetadata> {
	for (;;) {
		const entry = localHeader(head.bytes, label);
		const text = entry ? await entryText(head.bytes.subarray(entry.dataStart), entry, label) : undefined;
		const done = text && completeJson(text.bytes, label, text.complete);
		if (done) return parseMetadata(done);
		if (!(await head.grow())) throw refuse(label, `${METADATA_PATH} is cut short or too large`);
	}
}

/**
 * What the first entry's data held so far gives: `complete` when its stored size is known and
 * reached; otherwise (a data descriptor follows the data) the JSON closing tells the end.
 */
async function entryText(data: Buffer, entry: LocalHeader, label: string): Promise<{bytes: Buffer; complete: boolean}> {
	const {size} = entry;
	if (entry.method === 0) return {bytes: size === undefined ? data : data.subarray(0, size), complete: size !== undefined && data.length >= size};
	const inflated = await inflateUpTo(size === undefined ? data : data.subarray(0, size), false, READ_LIMITS.maxMetadataBytes + 1);
	if (inflated.error && inflated.bytes.length === 0) throw refuse(label, `${METADATA_PATH} is not valid deflate data`);
	return {bytes: inflated.bytes, complete: size !== undefined && data.length >= size};
}

/**
 * A JSON bundle's metadata (its first value, read by the bundle reader itself from the bytes held):
 * a head cut inside it is grown, anything else wrong is refused at once.
 */
async function jsonMetadata(head: Head, label: string): Promise<BackupMetadata> {
	for (;;) {
		const bytes = head.bytes;
		try {
			for await (const entry of jsonBundleReader(async () => Readable.from([bytes]), label).entries()) {
				return parseMetadata(await readAll(entry, READ_LIMITS.maxMetadataBytes));
			}
		} catch (error) {
			if (!(error instanceof LifeboatError && error.code === 'corrupt-archive' && / is truncated \(/.test(error.message))) throw error;
		}
		if (!(await head.grow())) throw refuse(label, `${METADATA_PATH} is cut short or too large`);
	}
}

/** A tar header block's octal field. */
function octal(block: Buffer, offset: number, length: number): number | undefined {
	const text = block.subarray(offset, offset + length).toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
	return /^[0-7]{1,12}$/.test(text) ? parseInt(text, 8) : undefined;
}

/** The first tar entry's size, refusing anything but a regular file named metadata.json. */
function tarHeader(block: Buffer, label: string, format: string): number {
	const checksum = octal(block, 148, 8);
	let sum = 0;
	for (let index = 0; index < TAR_BLOCK; index++) sum += index >= 148 && index < 156 ? 0x20 : block[index]!;
	if (checksum === undefined || checksum !== sum) throw refuse(label, `the ${format} does not begin with a tar entry`);
	const name = block.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
	const prefix = block.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
	const type = String.fromCharCode(block[156]!);
	if (name !== METADATA_PATH || prefix !== '' || (type !== '0' && type !== '\0')) throw refuse(label, `its first entry is not ${METADATA_PATH}`);
	const size = octal(block, 124, 12);
	if (size === undefined) throw refuse(label, `${METADATA_PATH} has a malformed size`);
	if (size > READ_LIMITS.maxMetadataBytes) throw tooLarge(label, size);
	return size;
}

/** What a compressed head decodes to, up to `wanted` bytes, with the stream's error if it had one. */
type HeadDecoder = {name: string; format: 'tar.gz' | 'tar.zst'; decode(bytes: Buffer, wanted: number): Promise<{bytes: Buffer; error?: Error | string}>};

const gzipDecoder: HeadDecoder = {name: 'gzip', format: 'tar.gz', decode: (bytes, wanted) => inflateUpTo(bytes, true, wanted)};

/**
 * zstd decodes whole blocks only: the head is first grown to the end of the frame's first block
 * (its header says where), so a typical backup's summary takes one decode (one zstd child).
 */
function zstdDecoder(head: Head, label: string): HeadDecoder {
	let sized = false;
	return {
		name: 'zstd',
		format: 'tar.zst',
		async decode(bytes, wanted) {
			if (!sized) {
				sized = true;
				const end = zstdFirstBlockEnd(bytes);
				if (end !== undefined && end > bytes.length) bytes = await head.ensure(end);
			}
			return decodeZstdHead(bytes, wanted, label);
		},
	};
}

async function tarMetadata(head: Head, label: string, decoder: HeadDecoder): Promise<BackupMetadata> {
	let size: number | undefined;
	for (;;) {
		const wanted = TAR_BLOCK + (size ?? 0);
		const tar = await decoder.decode(head.bytes, size === undefined ? TAR_BLOCK : wanted);
		if (tar.bytes.length >= TAR_BLOCK && size === undefined) {
			size = tarHeader(tar.bytes, label, decoder.format);
			continue;
		}
		const text = tar.bytes.subarray(TAR_BLOCK, wanted);
		if (size !== undefined && text.length >= Math.min(size, KIND_PROBE_BYTES) && !KIND_PREFIX.test(text.subarray(0, KIND_PROBE_BYTES).toString('latin1'))) {
			throw refuse(label, `${METADATA_PATH} does not begin like Lifeboat's`);
		}
		if (size !== undefined && tar.bytes.length >= wanted) return parseMetadata(text);
		if (tar.error) throw refuse(label, `the ${decoder.name} stream is corrupt (${typeof tar.error === 'string' ? tar.error : tar.error.message})`);
		if (!(await head.grow())) throw refuse(label, `${METADATA_PATH} is cut short or too large`);
	}
}

/** Most bytes one synchronous inflate may give: any wanted prefix fits, a bomb stops there. */
const SYNC_INFLATE_CAP = READ_LIMITS.maxMetadataBytes + 4 * TAR_BLOCK;

/**
 * Inflates what a cut-short deflate or gzip stream gives, stopping once `wanted` bytes are out
 * (a bomb costs no more than that), with the stream's error if it had one before. A head that
 * inflates whole, cleanly and within {@link SYNC_INFLATE_CAP} (every real backup's) is inflated
 * in one synchronous call, ~10x cheaper than a stream; anything else takes the stream.
 */
function inflateUpTo(input: Buffer, gzip: boolean, wanted: number): Promise<{bytes: Buffer; error?: Error}> {
	try {
		const options = {finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: SYNC_INFLATE_CAP};
		const out = gzip ? zlib.gunzipSync(input, options) : zlib.inflateRawSync(input, options);
		return Promise.resolve({bytes: out.length > wanted ? Buffer.from(out.subarray(0, wanted)) : out});
	} catch {
		return inflateStreaming(input, gzip, wanted);
	}
}

function inflateStreaming(input: Buffer, gzip: boolean, wanted: number): Promise<{bytes: Buffer; error?: Error}> {
	return new Promise(resolve => {
		const options = {finishFlush: zlib.constants.Z_SYNC_FLUSH};
		const engine = gzip ? zlib.createGunzip(options) : zlib.createInflateRaw(options);
		const chunks: Buffer[] = [];
		let total = 0;
		let settled = false;
		const finish = (error?: Error) => {
			if (settled) return;
			settled = true;
			engine.destroy();
			resolve({bytes: Buffer.concat(chunks).subarray(0, wanted), error});
		};
		engine.on('data', (chunk: Buffer) => {
			chunks.push(chunk);
			total += chunk.length;
			if (total >= wanted) finish();
		});
		engine.on('end', () => finish());
		engine.on('error', error => finish(error));
		engine.end(input);
	});
}
