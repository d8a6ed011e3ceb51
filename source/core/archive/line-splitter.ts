import {TextDecoder} from 'node:util';
import {LifeboatError} from '../errors.js';
import {READ_LIMITS} from './entry-guard.js';

export type LineSplitterOptions = {
	/** Longest line accepted, in bytes (without its newline). */
	maxLineBytes?: number;
	/** Names the entry or file in errors (`tables/messages.jsonl`). */
	what: string;
	/** Refuse invalid UTF-8 instead of replacing it with U+FFFD. */
	fatal?: boolean;
};

/**
 * Splits a byte stream into `\n`-terminated lines in linear time and bounded memory: each byte
 * is scanned once, a partial line is kept as a list of chunks (never re-concatenated per chunk),
 * each line is decoded from UTF-8 once, when complete, and a line longer than the limit is
 * refused as soon as it passes the limit (so at most `maxLineBytes` plus one chunk is held).
 */
export class LineSplitter {
	/** Bytes looked at so far (each byte once): lets tests check the work is linear. */
	bytesScanned = 0;
	private chunks: Buffer[] = [];
	private pending = 0;
	private readonly maxLineBytes: number;
	private readonly decoder: TextDecoder;

	constructor(private readonly options: LineSplitterOptions) {
		this.maxLineBytes = options.maxLineBytes ?? READ_LIMITS.maxLineBytes;
		this.decoder = new TextDecoder('utf-8', {fatal: options.fatal ?? false});
	}

	/** Feeds the next bytes; calls `onLine` for every line they complete. */
	push(chunk: Buffer, onLine: (line: string) => void): void {
		let start = 0;
		for (let newline = chunk.indexOf(0x0a, start); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
			this.bytesScanned += newline + 1 - start;
			this.check(this.pending + newline - start);
			const line = this.pending === 0 ? chunk.subarray(start, newline) : Buffer.concat([...this.chunks, chunk.subarray(start, newline)]);
			this.chunks = [];
			this.pending = 0;
			start = newline + 1;
			onLine(this.decode(line));
		}
		const rest = chunk.length - start;
		this.bytesScanned += rest;
		if (rest === 0) return;
		this.check(this.pending + rest);
		this.chunks.push(start === 0 ? chunk : chunk.subarray(start));
		this.pending += rest;
	}

	/** Calls `onLine` for a last line without a trailing newline, if any. */
	end(onLine: (line: string) => void): void {
		if (this.pending === 0) return;
		const line = Buffer.concat(this.chunks);
		this.chunks = [];
		this.pending = 0;
		onLine(this.decode(line));
	}

	private check(length: number): void {
		if (length > this.maxLineBytes) {
			this.chunks = [];
			this.pending = 0;
			throw new LifeboatError('corrupt-archive', `${this.options.what}: a line longer than ${this.maxLineBytes} bytes (not a row Lifeboat writes)`);
		}
	}

	private decode(bytes: Buffer): string {
		try {
			return this.decoder.decode(bytes);
		} catch {
			throw new LifeboatError('corrupt-archive', `${this.options.what}: a line is not valid UTF-8`);
		}
	}
}

/** Lines of a byte stream (an archive entry), with the limits of {@link LineSplitter}. */
export async function* splitLines(source: AsyncIterable<Buffer | Uint8Array>, options: LineSplitterOptions): AsyncGenerator<string> {
	const splitter = new LineSplitter(options);
	let lines: string[] = [];
	const collect = (line: string) => lines.push(line);
	for await (const chunk of source) {
		splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), collect);
		const ready = lines;
		lines = [];
		yield* ready;
	}
	splitter.end(collect);
	yield* lines;
}
