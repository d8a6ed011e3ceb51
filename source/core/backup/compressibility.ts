import fs from 'node:fs';
import zlib from 'node:zlib';
import {PRECOMPRESSED_EXTENSIONS} from '../store/schema.js';

const SAMPLE_BYTES = 64 * 1024;

/**
 * Whether deflating a file would be wasted time, as far as its name and size tell: stored (a
 * known compressed format), deflated (under 64 KiB: not worth a look), or 'sample':
 * sampleIsIncompressible decides when the file is written (an incremental backup writes only the
 * files that changed, and samples no other).
 */
export function storedByName(ext: string, size: number): boolean | 'sample' {
	if (PRECOMPRESSED_EXTENSIONS.has(ext.toLowerCase())) return true;
	return size < SAMPLE_BYTES ? false : 'sample';
}

/** Whether the file's first 64 KiB shrink by less than 5 % at deflate level 1 (encrypted or random data, unknown media); false if it cannot be read (the write then says why). */
export function sampleIsIncompressible(file: string): boolean {
	const sample = Buffer.alloc(SAMPLE_BYTES);
	let read: number;
	try {
		const fd = fs.openSync(file, 'r');
		try {
			read = fs.readSync(fd, sample, 0, SAMPLE_BYTES, 0);
		} finally {
			fs.closeSync(fd);
		}
	} catch {
		return false;
	}
	return zlib.deflateRawSync(sample.subarray(0, read), {level: 1}).length > read * 0.95;
}
