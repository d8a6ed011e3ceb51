import crypto from 'node:crypto';
import {Transform} from 'node:stream';
import {bufferAllocated} from './gc-pacer.js';

/** A pass-through that takes the SHA-256 and size of whatever streams through it. */
export function hashingTap(onBytes?: (bytes: number) => void): {transform: Transform; result(): {size: number; sha256: string}} {
	const hash = crypto.createHash('sha256');
	let size = 0;
	const transform = new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			hash.update(chunk);
			bufferAllocated(chunk.length);
			size += chunk.length;
			onBytes?.(chunk.length);
			callback(null, chunk);
		},
	});
	return {transform, result: () => ({size, sha256: hash.digest('hex')})};
}
