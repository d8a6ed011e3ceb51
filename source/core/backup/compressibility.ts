import fs from 'node:fs';
import zlib from 'node:zlib';
import {PRECOMPRESSED_EXTENSIONS} from '../store/schema.js';

const SAMPLE_BYTES = 64 * 1024;

/**
 * Whether deflating a file would be wasted time: a known compressed format by extension, or a
 * 64 KiB sample that does not shrink by at least 5% (encrypted or random data, unknown media).
 */
export function isIncompressible(file: string, ext: string, size: number): boolean {
	if (PRECOMPRESSED_EXTENSIONS.has(ext.toLowerCase())) return true;
	if (size < SAMPLE_BYTES) return false;
	const sample = Buffer.alloc(SAMPLE_BYTES);
	const fd = fs.openSync(file, 'r');
	try {
		fs.readSync(fd, sample, 0, SAMPLE_BYTES, 0);
	} finally {
		fs.closeSync(fd);
	}
	return zlib.deflateRawSync(sample, {level: 1}).length > SAMPLE_BYTES * 0.95;
}
