import crypto from 'node:crypto';
import fs from 'node:fs';
import {bufferAllocated} from '../gc-pacer.js';

/** SHA-256 (hex) of a file, streamed in 1 MiB reads. */
export async function hashFileSha256(file: string): Promise<string> {
	const hash = crypto.createHash('sha256');
	for await (const chunk of fs.createReadStream(file, {highWaterMark: 1024 * 1024})) {
		hash.update(chunk as Buffer);
		bufferAllocated((chunk as Buffer).length);
	}
	return hash.digest('hex');
}
