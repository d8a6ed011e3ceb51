/**
 * The two streaming archive formats as encoders over an OrderedOutput: each entry's bytes come
 * in blocks (at most BLOCK_SIZE each, in order) and are queued for writing; deflating happens on
 * the threadpool while the next entry is read.
 */
import zlib from 'node:zlib';
import {BLOCK_SIZE, DeflateStream, type DeflateLevel, type OrderedOutput} from './parallel-deflate.js';
import {centralHeader, dataDescriptor, dosDateTime, endRecords, localHeader, METHOD_DEFLATE, METHOD_STORE, ZIP64_ENTRY_BYTES, type ZipEntryRecord} from './zip-records.js';

export type EntryEncoder = {
	/** Queues one entry of `size` bytes; `blocks` yields exactly those bytes. */
	add(name: string, size: number, blocks: AsyncIterable<Buffer>, store: boolean): Promise<void>;
	/** Queues the archive's closing records. */
	finish(): Promise<void>;
};

export type EncoderOptions = {
	level: DeflateLevel;
	date: Date;
	/** zip: zip64 end records whatever the size (an archive expected near 4 GiB). */
	forceZip64?: boolean;
	/** zip: every entry written with zip64 headers (tests of the zip64 paths on small data). */
	zip64Entries?: boolean;
};

/** The single block of an entry no longer than BLOCK_SIZE (empty for an empty one). */
async function onlyBlock(blocks: AsyncIterable<Buffer>): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const block of blocks) chunks.push(block);
	return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Central directory headers in batches, then the end records. */
async function writeCentralDirectory(output: OrderedOutput, entries: ZipEntryRecord[], forceZip64: boolean): Promise<void> {
	// Every entry's offset and sizes are known once the output has reached this point.
	const offset = await output.reached();
	let size = 0;
	let batch: Buffer[] = [];
	let batchBytes = 0;
	for (const entry of entries) {
		const header = centralHeader(entry);
		batch.push(header);
		batchBytes += header.length;
		size += header.length;
		if (batchBytes >= BLOCK_SIZE) {
			await output.room();
			output.push(Buffer.concat(batch, batchBytes));
			batch = [];
			batchBytes = 0;
		}
	}
	if (batchBytes > 0) output.push(Buffer.concat(batch, batchBytes));
	output.push(endRecords(entries.length, offset, size, forceZip64));
}

export function zipEncoder(output: OrderedOutput, options: EncoderOptions): EntryEncoder {
	const entries: ZipEntryRecord[] = [];
	const dos = dosDateTime(options.date);

	/** Data complete before its header is written: the header carries CRC and sizes. */
	const addWhole = async (entry: ZipEntryRecord, data: Buffer) => {
		entry.crc = zlib.crc32(data);
		output.pushRecord(offset => {
			entry.offset = offset;
			return Buffer.alloc(0);
		});
		if (entry.method === METHOD_STORE) {
			entry.compressedSize = data.length;
			await output.room();
			output.push(localHeader(entry));
			output.push(data);
			return;
		}
		await output.deflate(data, undefined, true, options.level, compressed => {
			entry.compressedSize = compressed.length;
			return Buffer.concat([localHeader(entry), compressed]);
		});
	};

	/** Longer data: header first, data as it comes, sizes in a descriptor after it. */
	const addStreamed = async (entry: ZipEntryRecord, blocks: AsyncIterable<Buffer>) => {
		entry.descriptor = true;
		output.pushRecord(offset => {
			entry.offset = offset;
			return localHeader(entry);
		});
		if (entry.method === METHOD_STORE) {
			for await (const block of blocks) {
				entry.crc = zlib.crc32(block, entry.crc);
				entry.compressedSize += block.length;
				await output.room();
				output.push(block);
			}
		} else {
			const stream = new DeflateStream(output, options.level);
			for await (const block of blocks) await stream.write(block);
			await stream.end();
			output.pushRecord(() => {
				entry.crc = stream.crc;
				entry.compressedSize = stream.compressedSize;
				return Buffer.alloc(0);
			});
		}
		output.pushRecord(() => dataDescriptor(entry));
	};

	return {
		async add(name, size, blocks, store) {
			const entry: ZipEntryRecord = {name: Buffer.from(name, 'utf8'), method: store ? METHOD_STORE : METHOD_DEFLATE, dosDateTime: dos, crc: 0, size, compressedSize: 0, offset: 0, descriptor: false, zip64: Boolean(options.zip64Entries) || size >= ZIP64_ENTRY_BYTES};
			entries.push(entry);
			if (size <= BLOCK_SIZE) await addWhole(entry, await onlyBlock(blocks));
			else await addStreamed(entry, blocks);
		},
		async finish() {
			await writeCentralDirectory(output, entries, Boolean(options.forceZip64 || options.zip64Entries));
		},
	};
}

const TAR_BLOCK = 512;
/** Largest size an 11-digit octal field holds; larger sizes go in a pax record. */
const MAX_OCTAL_SIZE = 0o77777777777;

function octal(header: Buffer, value: number, offset: number, width: number): void {
	header.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

/** One 512-byte ustar header (name split into prefix/name by the caller). */
function ustarHeader(name: Buffer, prefix: Buffer, size: number, mtime: number, type: string): Buffer {
	const header = Buffer.alloc(TAR_BLOCK);
	name.copy(header, 0);
	octal(header, 0o644, 100, 8);
	octal(header, 0, 108, 8);
	octal(header, 0, 116, 8);
	octal(header, size, 124, 12);
	octal(header, mtime, 136, 12);
	header.write(type, 156, 1, 'ascii');
	header.write('ustar\u000000', 257, 8, 'ascii');
	prefix.copy(header, 345);
	header.fill(0x20, 148, 156);
	let sum = 0;
	for (const byte of header) sum += byte;
	header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
	return header;
}

/** Splits a path into ustar's prefix (155) and name (100) at a slash, if it fits. */
function splitUstar(path: Buffer): {name: Buffer; prefix: Buffer} | undefined {
	if (path.length <= 100) return {name: path, prefix: Buffer.alloc(0)};
	for (let cut = path.indexOf(0x2f); cut !== -1; cut = path.indexOf(0x2f, cut + 1)) {
		if (cut <= 155 && path.length - cut - 1 <= 100 && path.length - cut - 1 > 0) return {prefix: path.subarray(0, cut), name: path.subarray(cut + 1)};
	}
	return undefined;
}

/** A pax extended-header record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
	const body = ` ${key}=${value}\n`;
	let length = Buffer.byteLength(body) + 1;
	while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
	return `${length}${body}`;
}

function padding(size: number): Buffer {
	return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** The header(s) of a tar entry: ustar, preceded by a pax header for a long path or a huge size. */
export function tarHeaders(name: string, size: number, mtime: number): Buffer {
	const path = Buffer.from(name, 'utf8');
	const split = splitUstar(path);
	if (split && size <= MAX_OCTAL_SIZE) return ustarHeader(split.name, split.prefix, size, mtime, '0');
	const records = Buffer.from((split ? '' : paxRecord('path', name)) + (size > MAX_OCTAL_SIZE ? paxRecord('size', String(size)) : ''), 'utf8');
	const shortName = split ?? {name: Buffer.from(`PaxFile${path.length}`), prefix: Buffer.alloc(0)};
	return Buffer.concat([ustarHeader(Buffer.from('PaxHeader'), Buffer.alloc(0), records.length, mtime, 'x'), records, padding(records.length), ustarHeader(shortName.name, shortName.prefix, Math.min(size, MAX_OCTAL_SIZE), mtime, '0')]);
}

/** tar → one gzip member: header, raw deflate in parallel blocks, CRC-32 and size. */
export function tarGzEncoder(output: OrderedOutput, options: EncoderOptions): EntryEncoder {
	const mtime = Math.floor(options.date.getTime() / 1000);
	// ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=Unix
	output.push(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]));
	const gzip = new DeflateStream(output, options.level);
	return {
		async add(name, size, blocks, store) {
			await gzip.write(tarHeaders(name, size, mtime));
			// Data known not to shrink (what zip stores) goes in stored deflate blocks: the same size
			// as deflating it, at a fraction of the CPU.
			if (store) await gzip.setLevel(0);
			for await (const block of blocks) await gzip.write(block);
			await gzip.setLevel(options.level);
			await gzip.write(padding(size));
		},
		async finish() {
			await gzip.write(Buffer.alloc(2 * TAR_BLOCK));
			await gzip.end();
			output.pushRecord(() => {
				const trailer = Buffer.alloc(8);
				trailer.writeUInt32LE(gzip.crc >>> 0, 0);
				trailer.writeUInt32LE(gzip.size % 2 ** 32, 4);
				return trailer;
			});
		},
	};
}
