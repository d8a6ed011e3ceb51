import fs from 'node:fs';
import {Readable} from 'node:stream';

/**
 * A JSON object whose `bundle` field is the base64 of `file`, streamed: the file is read in
 * slices of a multiple of 3 bytes (each encodes on its own), never held whole.
 */
export function base64JsonStream(fields: Record<string, unknown>, file: string): Readable {
	const head = JSON.stringify(fields);
	async function* generate(): AsyncGenerator<string> {
		yield `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"bundle":"`;
		let carry = Buffer.alloc(0);
		for await (const chunk of fs.createReadStream(file, {highWaterMark: 3 * 64 * 1024})) {
			const bytes = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
			const whole = bytes.length - (bytes.length % 3);
			carry = Buffer.from(bytes.subarray(whole));
			if (whole > 0) yield bytes.subarray(0, whole).toString('base64');
		}
		yield `${carry.toString('base64')}"}`;
	}
	return Readable.from(generate(), {objectMode: false});
}

/** Bytes [start, start + length) of a stream that begins at `start`: the rest is not read. */
export function firstBytes(source: Readable, length: number): Readable {
	async function* take(): AsyncGenerator<Buffer> {
		let left = length;
		try {
			for await (const chunk of source) {
				const part = (chunk as Buffer).length > left ? (chunk as Buffer).subarray(0, left) : (chunk as Buffer);
				left -= part.length;
				yield part;
				if (left <= 0) break;
			}
		} finally {
			source.destroy();
		}
	}
	return Readable.from(take(), {objectMode: false});
}

export type ByteRange = {start: number; end: number};

/**
 * A `Range: bytes=…` header against a size: one range, or undefined (no header, several ranges,
 * or a header that is not a byte range: served whole, as RFC 9110 allows); 'unsatisfiable' → 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
	if (!header) return undefined;
	const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
	if (!match || (match[1] === '' && match[2] === '')) return undefined;
	if (match[1] === '') {
		const suffix = Number(match[2]);
		if (suffix === 0 || size === 0) return 'unsatisfiable';
		return {start: Math.max(0, size - suffix), end: size - 1};
	}
	const start = Number(match[1]);
	const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
	if (start >= size || (match[2] !== '' && Number(match[2]) < start)) return 'unsatisfiable';
	return {start, end};
}

/** How long and how much of a refused request's remaining body is read and dropped before the connection is cut. */
const DISCARD_MS = 30_000;
const DISCARD_BYTES = 8 * 1024 * 1024;

/**
 * After a body is refused part-way (too large, malformed), reads and drops what the client is
 * still sending, up to DISCARD_BYTES more and DISCARD_MS; resolves once the body ended or was
 * cut. The answer goes out after it: Node may close a connection whose request body is left
 * unread, and a client still writing then sees a broken pipe instead of the 413.
 *
 * `upTo` instead: a body refused before it was read for a reason other than its size (a 409) is
 * read to its end when within that many bytes (its route's body limit, which it would have been
 * read to anyway), with the request timeout (--request-timeout-s) as the only clock.
 */
export async function discardRest(payload: Readable, upTo?: number): Promise<void> {
	if (payload.readableEnded || payload.destroyed) return;
	await new Promise<void>(resolve => {
		let dropped = 0;
		const timer = upTo === undefined ? setTimeout(() => payload.destroy(), DISCARD_MS) : undefined;
		timer?.unref();
		const done = () => {
			clearTimeout(timer);
			resolve();
		};
		payload.on('data', (chunk: Buffer) => {
			dropped += chunk.length;
			if (dropped > (upTo ?? DISCARD_BYTES)) payload.destroy();
		});
		payload.once('end', done);
		payload.once('close', done);
		payload.once('error', done);
		payload.resume();
	});
}
