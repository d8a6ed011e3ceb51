import {Transform} from 'node:stream';
import {LifeboatError} from '../errors.js';

/** Limits for reading untrusted archives. Generous for real backups, fatal for bombs. */
export const READ_LIMITS = {
	maxEntries: 2_000_000,
	/** Per-entry compression ratio above which (past `ratioFloorBytes`) we call it a bomb. */
	maxRatio: 1000,
	ratioFloorBytes: 1024 * 1024,
	/**
	 * Whole archive: inflated bytes against the archive's size. Real backups measure about 2:1
	 * (documents are already compressed; JSONL tables reach ~6:1); past 64 MiB inflated, anything
	 * over 100:1 is refused, however small its entries (many 1 MiB zero entries are ~1000:1).
	 */
	archiveRatio: 100,
	archiveRatioFloorBytes: 64 * 1024 * 1024,
	/**
	 * tar.gz entries have no compressed size of their own: their ratio is measured on the
	 * compressed stream, which is read in chunks, so the bound is lower and starts later.
	 */
	streamRatio: 200,
	streamRatioFloorBytes: 32 * 1024 * 1024,
	/**
	 * metadata.json is parsed in memory; a real one is about 5 KB plus ~100 bytes a tenant, so this
	 * holds some 80,000 tenants (backup refuses to write a larger one).
	 */
	maxMetadataBytes: 8 * 1024 * 1024,
	/** Gateway and agent JSON files and the 2FA block are read whole (backup refuses larger ones). */
	maxJsonFileBytes: 32 * 1024 * 1024,
	/**
	 * manifest.json is parsed in memory; a real one takes ~170 bytes per file. Its limit grows with
	 * the archive's entries: a base plus, per entry, a fixed allowance and twice its path's length.
	 */
	manifestBaseBytes: 64 * 1024,
	manifestBytesPerEntry: 256,
	/** Longest JSONL line accepted (a real row is far smaller; a long chat message is a few MB). */
	maxLineBytes: 64 * 1024 * 1024,
};

/** The largest manifest.json an archive with these entry paths can need. */
export function manifestLimit(entryCount: number, pathBytes: number): number {
	return READ_LIMITS.manifestBaseBytes + entryCount * READ_LIMITS.manifestBytesPerEntry + 2 * pathBytes;
}

/** Refuses metadata.json / manifest.json larger than a real one can be, before reading it. */
export function checkJsonEntrySize(name: string, size: number, limit: number): void {
	if (size > limit) {
		throw new LifeboatError('unsafe-archive', `${name} is ${size} bytes, more than a real one can be (limit ${limit} bytes); refusing to read it`);
	}
}

/** Refuses an archive whose entries would inflate far beyond its own size (checked before inflating). */
export function checkArchiveRatio(label: string, inflated: number, archiveBytes: number): void {
	if (inflated > READ_LIMITS.archiveRatioFloorBytes && inflated / Math.max(archiveBytes, 1) > READ_LIMITS.archiveRatio) {
		throw new LifeboatError('unsafe-archive', `${label} would expand to ${inflated} bytes from ${archiveBytes} (over ${READ_LIMITS.archiveRatio}:1): refusing a likely decompression bomb; nothing was restored`);
	}
}

/**
 * Rejects paths that could escape the extraction root or confuse a reader: absolute paths, drive
 * letters, backslashes, `..` or `.` segments, empty segments and control characters.
 */
export function checkEntryPath(name: string): string {
	const reason = unsafePathReason(name);
	if (reason) throw new LifeboatError('unsafe-archive', `Unsafe entry "${printable(name)}" in archive: ${reason}; nothing was restored`);
	return name;
}

export function unsafePathReason(name: string): string | undefined {
	if (name.length === 0) return 'empty path';
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f]/.test(name)) return 'control character in path';
	if (name.includes('\\')) return 'backslash in path';
	if (name.startsWith('/')) return 'absolute path';
	if (/^[a-zA-Z]:/.test(name)) return 'drive-letter path';
	const segments = name.replace(/\/$/, '').split('/');
	if (segments.some(segment => segment === '..')) return 'path escapes the archive (..)';
	if (segments.some(segment => segment === '.' || segment === '')) return 'non-canonical path';
	return undefined;
}

function printable(name: string): string {
	// eslint-disable-next-line no-control-regex
	return name.replace(/[\u0000-\u001f]/g, '?').slice(0, 200);
}

/**
 * Counts the bytes of an entry as they are decompressed and fails the moment they exceed what the
 * archive declared (a lying header) or the limit given. Checked while reading, never after.
 */
export function byteLimiter(name: string, limit: number): Transform {
	let seen = 0;
	return new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			seen += chunk.length;
			if (seen > limit) {
				callback(new LifeboatError('unsafe-archive', `Entry "${printable(name)}" expands beyond its declared size (${limit} bytes): possible decompression bomb; nothing was restored`));
				return;
			}
			callback(null, chunk);
		},
	});
}

export function checkRatio(name: string, uncompressed: number, compressed: number): void {
	if (uncompressed > READ_LIMITS.ratioFloorBytes && uncompressed / Math.max(compressed, 1) > READ_LIMITS.maxRatio) {
		throw new LifeboatError('unsafe-archive', `Entry "${printable(name)}" has a compression ratio over ${READ_LIMITS.maxRatio}:1 (${uncompressed} from ${compressed} bytes): refusing a likely decompression bomb`);
	}
}
