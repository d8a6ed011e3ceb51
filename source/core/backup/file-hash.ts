import crypto from 'node:crypto';
import fs from 'node:fs';
import {bufferAllocated} from '../gc-pacer.js';

const READ_BYTES = 1024 * 1024;

/**
 * SHA-256 (hex) of a file, streamed in 1 MiB reads; a file smaller than that in one read of its
 * own size. (A 1 MiB read buffer per small file, an incremental's hundreds of agent files, made
 * V8 collect its whole heap every few files for the external memory alone.)
 */
export async function hashFileSha256(file: string): Promise<string> {
	const hash = crypto.createHash('sha256');
	const handle = await fs.promises.open(file, 'r');
	let streamed = false;
	try {
		const {size} = await handle.stat();
		if (size < READ_BYTES) {
			// readFile reads to the end, even of a file that grew since the stat.
			const bytes = await handle.readFile();
			hash.update(bytes);
			bufferAllocated(bytes.length);
			return hash.digest('hex');
		}
		// The stream closes the handle when it ends, fails or is left.
		const stream = handle.createReadStream({highWaterMark: READ_BYTES});
		streamed = true;
		for await (const chunk of stream) {
			hash.update(chunk as Buffer);
			bufferAllocated((chunk as Buffer).length);
		}
		return hash.digest('hex');
	} finally {
		if (!streamed) await handle.close();
	}
}
