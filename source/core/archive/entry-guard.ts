import {Transform} from 'node:stream';
import {LifeboatError} from '../errors.js';

/** Limits for reading untrusted archives. Generous for real backups, fatal for bombs. */
export const READ_LIMITS = {
	maxEntries: 2_000_000,
	/** Per-entry compression ratio above which (past `ratioFloorBytes`) we call it a bomb. */
	maxRatio: 1000,
	ratioFloorBytes: 1024 * 1024,
	/**
	 * tar.gz entries have no compressed size of their own: their ratio is measured on the
	 * compressed stream, which is read in chunks, so the bound is lower and starts later.
	 */
	streamRatio: 200,
	streamRatioFloorBytes: 32 * 1024 * 1024,
	/** metadata.json and manifest.json are parsed in memory; a real one is far smaller. */
	maxJsonBytes: 256 * 1024 * 1024,
};

/**
 * Rejects paths that could escape the extraction root or confuse a reader: absolute paths, drive
 * letters, backslashes, `..` or `.` segments, empty segments and control characters.
 */
export function checkEntryPath(name: string): string {
	const reason = unsafePathReason(name);
	if (reason) throw new LifeboatError('unsafe-archive', `Unsafe entry "${printable(name)}" in archive: ${reason}; nothing was restored`);
	return name;
}

function unsafePathReason(name: string): string | undefined {
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
