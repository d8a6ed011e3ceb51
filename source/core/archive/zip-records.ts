/**
 * The zip records Lifeboat writes (APPNOTE 6.3.x): local file headers, data descriptors, central
 * directory headers, and the end records, zip64 where needed. Every entry is a regular file with
 * Unix mode 0644 and a UTF-8 name, deflated (8) or stored (0).
 *
 * An entry whose data is complete when its header is written (one block) carries its CRC and
 * sizes in the header; a longer one sets bit 3 and follows its data with a data descriptor. An
 * entry that may reach 4 GiB gets a zip64 extra field in its local header (sizes zero, then an
 * 8-byte-size descriptor); the central directory gives zip64 extra fields to the values that do
 * not fit in 32 bits, and zip64 end records are written past 65,535 entries or 4 GiB, or when
 * forced (an archive expected near 4 GiB: the reader then sees consistent records).
 */

const SIG_LOCAL = 0x04034b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const FLAG_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
/** Version made by: Unix (3), spec 4.5. */
const MADE_BY = (3 << 8) | VERSION_ZIP64;
/** Regular file, 0644, in the high half; the MS-DOS archive bit in the low. */
const EXTERNAL_ATTRIBUTES = ((0o100644 << 16) | 0x20) >>> 0;
/** Entries this large (or larger) get zip64 local headers: their compressed size may pass 4 GiB. */
export const ZIP64_ENTRY_BYTES = 0xf000_0000;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;

export type ZipEntryRecord = {
	name: Buffer;
	method: number;
	/** MS-DOS time (low 16 bits) and date (high 16 bits). */
	dosDateTime: number;
	crc: number;
	size: number;
	compressedSize: number;
	/** Offset of the local header. */
	offset: number;
	/** Sizes follow the data in a descriptor (bit 3). */
	descriptor: boolean;
	/** zip64 local header and descriptor. */
	zip64: boolean;
};

/** MS-DOS date and time of `date` in UTC (as archiver wrote them), clamped to 1980..2107. */
export function dosDateTime(date: Date): number {
	const year = date.getUTCFullYear();
	if (year < 1980) return (1 << 21) | (1 << 16);
	if (year > 2107) return ((127 << 25) | (12 << 21) | (31 << 16) | (23 << 11) | (59 << 5) | 29) >>> 0;
	const day = ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate();
	const time = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2);
	return ((day << 16) | time) >>> 0;
}

function flags(entry: ZipEntryRecord): number {
	return FLAG_UTF8 | (entry.descriptor ? FLAG_DESCRIPTOR : 0);
}

export function localHeader(entry: ZipEntryRecord): Buffer {
	const extra = entry.zip64 ? 20 : 0;
	const header = Buffer.alloc(30 + entry.name.length + extra);
	header.writeUInt32LE(SIG_LOCAL, 0);
	header.writeUInt16LE(entry.zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, 4);
	header.writeUInt16LE(flags(entry), 6);
	header.writeUInt16LE(entry.method, 8);
	header.writeUInt32LE(entry.dosDateTime, 10);
	if (!entry.descriptor) {
		header.writeUInt32LE(entry.crc >>> 0, 14);
		header.writeUInt32LE(entry.zip64 ? MAX32 : entry.compressedSize, 18);
		header.writeUInt32LE(entry.zip64 ? MAX32 : entry.size, 22);
	} else if (entry.zip64) {
		header.writeUInt32LE(MAX32, 18);
		header.writeUInt32LE(MAX32, 22);
	}
	header.writeUInt16LE(entry.name.length, 26);
	header.writeUInt16LE(extra, 28);
	entry.name.copy(header, 30);
	if (entry.zip64) {
		const at = 30 + entry.name.length;
		header.writeUInt16LE(ZIP64_EXTRA, at);
		header.writeUInt16LE(16, at + 2);
		// Sizes follow in the descriptor when bit 3 is set (zero here, as the spec asks).
		header.writeBigUInt64LE(entry.descriptor ? 0n : BigInt(entry.size), at + 4);
		header.writeBigUInt64LE(entry.descriptor ? 0n : BigInt(entry.compressedSize), at + 12);
	}
	return header;
}

export function dataDescriptor(entry: ZipEntryRecord): Buffer {
	const descriptor = Buffer.alloc(entry.zip64 ? 24 : 16);
	descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0);
	descriptor.writeUInt32LE(entry.crc >>> 0, 4);
	if (entry.zip64) {
		descriptor.writeBigUInt64LE(BigInt(entry.compressedSize), 8);
		descriptor.writeBigUInt64LE(BigInt(entry.size), 16);
	} else {
		if (entry.compressedSize > MAX32 || entry.size > MAX32) throw new Error(`zip entry ${entry.name.toString()} passed 4 GiB without zip64 records`);
		descriptor.writeUInt32LE(entry.compressedSize, 8);
		descriptor.writeUInt32LE(entry.size, 12);
	}
	return descriptor;
}

export function centralHeader(entry: ZipEntryRecord): Buffer {
	// zip64 extra field: only the values that do not fit, in this order.
	const wide = [entry.size, entry.compressedSize, entry.offset].map(value => entry.zip64 || value >= MAX32);
	const [wideSize, wideCompressed, wideOffset] = wide;
	const extra = wide.some(Boolean) ? 4 + 8 * wide.filter(Boolean).length : 0;
	const header = Buffer.alloc(46 + entry.name.length + extra);
	header.writeUInt32LE(SIG_CENTRAL, 0);
	header.writeUInt16LE(MADE_BY, 4);
	header.writeUInt16LE(extra > 0 ? VERSION_ZIP64 : VERSION_DEFAULT, 6);
	header.writeUInt16LE(flags(entry), 8);
	header.writeUInt16LE(entry.method, 10);
	header.writeUInt32LE(entry.dosDateTime, 12);
	header.writeUInt32LE(entry.crc >>> 0, 16);
	header.writeUInt32LE(wideCompressed ? MAX32 : entry.compressedSize, 20);
	header.writeUInt32LE(wideSize ? MAX32 : entry.size, 24);
	header.writeUInt16LE(entry.name.length, 28);
	header.writeUInt16LE(extra, 30);
	// comment length, disk number start, internal attributes: zero
	header.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
	header.writeUInt32LE(wideOffset ? MAX32 : entry.offset, 42);
	entry.name.copy(header, 46);
	if (extra > 0) {
		let at = 46 + entry.name.length;
		header.writeUInt16LE(ZIP64_EXTRA, at);
		header.writeUInt16LE(extra - 4, at + 2);
		at += 4;
		for (const [index, value] of [entry.size, entry.compressedSize, entry.offset].entries()) {
			if (!wide[index]) continue;
			header.writeBigUInt64LE(BigInt(value), at);
			at += 8;
		}
	}
	return header;
}

/**
 * The end of the archive, after the central directory (`count` records, `size` bytes at
 * `offset`): zip64 end record and locator when needed or forced, then the classic end record.
 */
export function endRecords(count: number, offset: number, size: number, forceZip64: boolean): Buffer {
	const zip64 = forceZip64 || count >= MAX16 || offset >= MAX32 || size >= MAX32;
	const end = Buffer.alloc(22);
	end.writeUInt32LE(SIG_END, 0);
	end.writeUInt16LE(zip64 ? MAX16 : count, 8);
	end.writeUInt16LE(zip64 ? MAX16 : count, 10);
	end.writeUInt32LE(zip64 ? MAX32 : size, 12);
	end.writeUInt32LE(zip64 ? MAX32 : offset, 16);
	if (!zip64) return end;
	const record = Buffer.alloc(56);
	record.writeUInt32LE(SIG_ZIP64_END, 0);
	record.writeBigUInt64LE(44n, 4);
	record.writeUInt16LE(MADE_BY, 12);
	record.writeUInt16LE(VERSION_ZIP64, 14);
	// disk numbers: zero
	record.writeBigUInt64LE(BigInt(count), 24);
	record.writeBigUInt64LE(BigInt(count), 32);
	record.writeBigUInt64LE(BigInt(size), 40);
	record.writeBigUInt64LE(BigInt(offset), 48);
	const locator = Buffer.alloc(20);
	locator.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
	locator.writeBigUInt64LE(BigInt(offset + size), 8);
	locator.writeUInt32LE(1, 16);
	return Buffer.concat([record, locator, end]);
}
