/**
 * Reads the single-file JSON bundle (json-bundle-writer.ts) front to back as a stream of archive
 * entries with their exact bytes: metadata.json first, then every entry, then manifest.json, so
 * verify and restore read it as they read a tar. Memory stays bounded whatever the input: `lines`
 * elements and base64 strings stream through in the chunks they arrive in; only metadata and
 * manifest (each under its ceiling) and entry paths (under 4 KiB) are held. Every byte is looked at
 * a fixed number of times. Anything that is not exactly the bundle's layout (another top level,
 * unknown or reordered keys, duplicate or unsafe paths, an escape or a stray character in base64,
 * a size that does not match, invalid UTF-8 or JSON, deep nesting, trailing bytes, a cut-short
 * file) fails with one line, a 'corrupt-archive' LifeboatError ('unsafe-archive' for paths).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import {PassThrough, type Readable} from 'node:stream';
import {LifeboatError} from '../errors.js';
import {BUNDLE_KIND, BUNDLE_VERSION, MANIFEST_PATH, METADATA_PATH} from './archive-format.js';
import type {ArchiveEntry, ArchiveReader, StreamSource} from './archive-reader.js';
import {checkEntryPath, manifestLimit, READ_LIMITS} from './entry-guard.js';
import {JsonSyntaxError, JsonValueScanner} from './json-scanner.js';

/**
 * Longest entry path accepted, as JSON text between its quotes (a zip name's limit too; an agent
 * file's path is at most 4 KiB before escaping). The writer refuses a longer one.
 */
export const BUNDLE_MAX_PATH_BYTES = 65_535;
/** Longest key or `kind` string. */
const MAX_KEY_BYTES = 64;
/** Decoded bytes gathered before they are handed on. */
const FLUSH_BYTES = 64 * 1024;

/** A fault in the bundle's bytes at `offset`; `truncated` when the input ended. */
class BundleFault extends Error {
	constructor(
		message: string,
		readonly offset: number,
		readonly truncated = false,
	) {
		super(message);
	}
}

/** The input, a chunk at a time, with the absolute offset of the byte in hand. */
class Cursor {
	buffer: Buffer = Buffer.alloc(0);
	index = 0;
	private before = 0;
	private ended = false;
	private readonly iterator: AsyncIterator<Buffer>;

	constructor(stream: Readable) {
		this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
	}

	get offset(): number {
		return this.before + this.index;
	}

	/** True when a byte is in hand (fetching the next chunk if needed), false at the end of the input. */
	async more(): Promise<boolean> {
		while (this.index >= this.buffer.length) {
			if (this.ended) return false;
			const next = await this.iterator.next();
			if (next.done) {
				this.ended = true;
				return false;
			}
			this.before += this.buffer.length;
			this.buffer = next.value;
			this.index = 0;
		}
		return true;
	}

	/** The next byte that is not whitespace (not consumed); fails as truncated at the end. */
	async peek(what: string): Promise<number> {
		for (;;) {
			if (!(await this.more())) throw new BundleFault(`it ends before ${what}`, this.offset, true);
			const byte = this.buffer[this.index]!;
			if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
			this.index++;
		}
	}

	async expect(byte: number, what: string): Promise<void> {
		const found = await this.peek(what);
		if (found !== byte) throw new BundleFault(`expected ${what}, found ${printable(found)}`, this.offset);
		this.index++;
	}

	/**
	 * One JSON value (whitespace before it skipped), handed on in segments as it streams; fails once
	 * it passes `max` bytes. Returns its length.
	 */
	async value(what: string, max: number, onSegment: (segment: Buffer) => void | Promise<void>): Promise<number> {
		await this.peek(what);
		const scanner = new JsonValueScanner();
		let length = 0;
		for (;;) {
			if (!(await this.more())) {
				if (scanner.end()) return length;
				throw new BundleFault(`it ends inside ${what}`, this.offset, true);
			}
			const start = this.index;
			let end: number;
			try {
				end = scanner.scan(this.buffer, start, this.buffer.length);
			} catch (error) {
				if (error instanceof JsonSyntaxError) throw new BundleFault(`${error.message} in ${what}`, this.offset + (error.index - start));
				throw error;
			}
			const stop = end === -1 ? this.buffer.length : end;
			length += stop - start;
			if (length > max) throw new BundleFault(`${what} is larger than ${max} bytes`, this.offset);
			this.index = stop;
			await onSegment(this.buffer.subarray(start, stop));
			if (end !== -1) return length;
		}
	}

	/** A whole (small) JSON value's bytes. */
	async rawValue(what: string, max: number): Promise<Buffer> {
		const parts: Buffer[] = [];
		await this.value(what, max, segment => void parts.push(segment));
		return Buffer.concat(parts);
	}

	/** A short string (a key, a path, the kind), decoded. */
	async string(what: string, max: number): Promise<string> {
		if ((await this.peek(what)) !== 0x22) throw new BundleFault(`${what} is not a string`, this.offset);
		return JSON.parse((await this.rawValue(what, max + 2)).toString('utf8')) as string;
	}

	async key(name: string): Promise<void> {
		const at = this.offset;
		const found = await this.string(`the key "${name}"`, MAX_KEY_BYTES);
		if (found !== name) throw new BundleFault(`expected the key "${name}", found ${JSON.stringify(found.slice(0, 40))}`, at);
		await this.expect(0x3a, "':'");
	}

	/** A non-negative integer (a size, the version). */
	async integer(what: string): Promise<number> {
		const at = this.offset;
		const text = (await this.rawValue(what, 20)).toString('latin1');
		const value = Number(text);
		if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(value)) throw new BundleFault(`${what} is not a non-negative integer`, at);
		return value;
	}
}

function printable(byte: number): string {
	return byte >= 0x21 && byte <= 0x7e ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/** Where an entry's bytes go: the reader's stream (with backpressure), or nowhere (an entry not read). */
type Sink = {write(chunk: Buffer): Promise<void>};

/** Gathers an entry's bytes, counts them against its declared size and hands them on in blocks. */
class EntryOutput {
	private parts: Buffer[] = [];
	private pending = 0;
	private produced = 0;

	constructor(
		private readonly sink: Sink,
		private readonly entry: string,
		private readonly size: number,
		private readonly cursor: Cursor,
	) {}

	async push(segment: Buffer): Promise<void> {
		if (segment.length === 0) return;
		this.produced += segment.length;
		if (this.produced > this.size) throw new BundleFault(`"${this.entry}" holds more than the ${this.size} bytes its size says`, this.cursor.offset);
		this.parts.push(segment);
		this.pending += segment.length;
		if (this.pending >= FLUSH_BYTES) await this.flush();
	}

	async flush(): Promise<void> {
		if (this.pending === 0) return;
		const block = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
		this.parts = [];
		this.pending = 0;
		await this.sink.write(block);
	}

	async end(): Promise<void> {
		if (this.produced !== this.size) throw new BundleFault(`"${this.entry}" holds ${this.produced} bytes, its size says ${this.size}`, this.cursor.offset);
		await this.flush();
	}
}

const NEWLINE = Buffer.from('\n');

/** A `lines` array: each element's raw text and "\n". */
async function readLines(cursor: Cursor, output: EntryOutput, entry: string): Promise<void> {
	await cursor.expect(0x5b, `the lines of "${entry}"`);
	if ((await cursor.peek(`the lines of "${entry}"`)) === 0x5d) {
		cursor.index++;
		return;
	}
	for (let line = 1; ; line++) {
		await cursor.value(`line ${line} of "${entry}"`, READ_LIMITS.maxLineBytes, segment => output.push(segment));
		await output.push(NEWLINE);
		const next = await cursor.peek(`the lines of "${entry}"`);
		cursor.index++;
		if (next === 0x5d) return;
		if (next !== 0x2c) throw new BundleFault(`expected ',' or ']' after line ${line} of "${entry}", found ${printable(next)}`, cursor.offset - 1);
	}
}

/** base64 alphabet (RFC 4648 §4) as a lookup table. */
const BASE64 = new Uint8Array(256);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[char.charCodeAt(0)] = 1;

/** A `base64` string, decoded a chunk at a time; refuses escapes, stray characters and bad padding. */
async function readBase64(cursor: Cursor, output: EntryOutput, entry: string): Promise<void> {
	await cursor.expect(0x22, `the base64 of "${entry}"`);
	const what = `the base64 of "${entry}"`;
	let carry = '';
	let padding = 0;
	for (;;) {
		if (!(await cursor.more())) throw new BundleFault(`it ends inside ${what}`, cursor.offset, true);
		const {buffer} = cursor;
		const start = cursor.index;
		let index = start;
		for (; index < buffer.length; index++) {
			const byte = buffer[index]!;
			if (BASE64[byte] === 1 && padding === 0) continue;
			if (byte === 0x3d && padding < 2) {
				padding++;
				continue;
			}
			if (byte === 0x22) break;
			const reason = byte === 0x5c ? 'an escape' : BASE64[byte] === 1 || byte === 0x3d ? 'a character after its padding' : `${printable(byte)}, not a base64 character,`;
			throw new BundleFault(`${what} holds ${reason}`, cursor.offset + (index - start));
		}
		const text = carry + buffer.toString('latin1', start, index);
		const closed = index < buffer.length;
		const whole = closed ? text.length : text.length - (text.length % 4);
		if (closed && whole % 4 !== 0) throw new BundleFault(`${what} has a length that is not a multiple of 4`, cursor.offset + (index - start));
		cursor.index = closed ? index + 1 : index;
		if (whole > 0) await output.push(Buffer.from(text.slice(0, whole), 'base64'));
		carry = text.slice(whole);
		if (closed) return;
	}
}

/** An entry's content (`lines` or `base64`, after its key) into `sink`. */
async function readContent(cursor: Cursor, kind: 'lines' | 'base64', entry: string, size: number, sink: Sink): Promise<void> {
	const output = new EntryOutput(sink, entry, size, cursor);
	if (kind === 'lines') await readLines(cursor, output, entry);
	else await readBase64(cursor, output, entry);
	await output.end();
}

/** A stream the entry's bytes are written to as they are read, waiting while its reader is full. */
function streamSink(): {stream: PassThrough; sink: Sink} {
	const stream = new PassThrough();
	const sink: Sink = {
		async write(chunk) {
			// A reader that went away (destroyed its stream) lets the rest be skipped.
			if (stream.destroyed) return;
			if (stream.write(chunk)) return;
			await new Promise<void>(resolve => {
				const done = () => {
					stream.off('drain', done);
					stream.off('close', done);
					resolve();
				};
				stream.on('drain', done);
				stream.on('close', done);
			});
		},
	};
	return {stream, sink};
}

const DISCARD: Sink = {write: async () => undefined};

function bufferEntry(archivePath: string, content: Buffer): ArchiveEntry {
	return {
		path: archivePath,
		kind: 'file',
		size: content.length,
		open: () => {
			const stream = new PassThrough();
			stream.end(content);
			return stream;
		},
	};
}

/** The one line a fault becomes. */
function refusal(label: string, error: unknown): LifeboatError {
	if (error instanceof LifeboatError) return error;
	if (error instanceof BundleFault) {
		const name = path.basename(label);
		return new LifeboatError('corrupt-archive', error.truncated ? `${name} is truncated (JSON bundle: ${error.message}, at byte ${error.offset})` : `${name} is corrupt (JSON bundle: ${error.message}, at byte ${error.offset})`);
	}
	const message = (error as Error)?.message ?? String(error);
	return new LifeboatError('corrupt-archive', `${path.basename(label)} cannot be read (${message})`, {cause: error});
}

/** `{"kind":"lifeboat-bundle","bundleVersion":1,"metadata":` */
async function readHeader(cursor: Cursor, label: string): Promise<void> {
	const first = await cursor.peek('its first byte');
	if (first !== 0x7b) throw new BundleFault(`its top level is not a JSON object (it begins with ${printable(first)})`, cursor.offset);
	cursor.index++;
	// Some other JSON object (a config file given by mistake) is not a damaged bundle: it says so.
	const other = (why: string) => new LifeboatError('corrupt-archive', `${label} is not a Lifeboat backup (a JSON file that does not begin like a Lifeboat bundle: ${why})`);
	if ((await cursor.peek('the key "kind"')) !== 0x22) throw other('its first member is not the key "kind"');
	const keyAt = cursor.offset;
	const key = await cursor.string('the key "kind"', MAX_KEY_BYTES);
	if (key !== 'kind') throw other(`its first key is ${JSON.stringify(key.slice(0, 40))}, not "kind"`);
	await cursor.expect(0x3a, "':'");
	if ((await cursor.peek('the kind')) !== 0x22) throw other('its kind is not a string');
	const kind = await cursor.string('the kind', MAX_KEY_BYTES);
	if (kind !== BUNDLE_KIND) throw other(`its kind is ${JSON.stringify(kind.slice(0, 40))}, not "${BUNDLE_KIND}" (at byte ${keyAt})`);
	await cursor.expect(0x2c, "','");
	await cursor.key('bundleVersion');
	const version = await cursor.integer('bundleVersion');
	if (version !== BUNDLE_VERSION) {
		throw new LifeboatError('unsupported-version', `${path.basename(label)} is a JSON bundle of version ${version}; this Lifeboat reads version ${BUNDLE_VERSION}: upgrade Lifeboat`);
	}
	await cursor.expect(0x2c, "','");
	await cursor.key('metadata');
}

/** Reads `"totalBytes"` from metadata.json: file entries may not declare more (as for tar). */
function declaredTotal(metadata: Buffer): number | undefined {
	try {
		const value = (JSON.parse(metadata.toString('utf8')) as {totalBytes?: unknown} | null)?.totalBytes;
		return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
	} catch {
		return undefined;
	}
}

type EntryHead = {path: string; size: number; kind: 'lines' | 'base64'};

/** `{"path":…,"size":N,"lines":` or `…,"base64":` */
async function readEntryHead(cursor: Cursor, seen: Set<string>): Promise<EntryHead> {
	await cursor.expect(0x7b, 'an entry');
	await cursor.key('path');
	const at = cursor.offset;
	const name = checkEntryPath(await cursor.string('an entry path', BUNDLE_MAX_PATH_BYTES));
	if (/\p{Cs}/u.test(name)) throw new BundleFault(`entry path ${JSON.stringify(name.slice(0, 200))} holds a lone surrogate`, at);
	if (name.endsWith('/')) throw new BundleFault(`entry "${name.slice(0, 200)}" is a folder; a bundle holds files only`, at);
	// Paths seen are held as 128-bit digests: memory per entry stays small however long its path.
	const key = crypto.createHash('sha256').update(name).digest('base64').slice(0, 22);
	if (seen.has(key) || name === METADATA_PATH || name === MANIFEST_PATH) throw new BundleFault(`entry "${name.slice(0, 200)}" appears twice`, at);
	seen.add(key);
	await cursor.expect(0x2c, "','");
	await cursor.key('size');
	const size = await cursor.integer(`the size of "${name.slice(0, 200)}"`);
	await cursor.expect(0x2c, "','");
	const keyAt = cursor.offset;
	const kind = await cursor.string('"lines" or "base64"', MAX_KEY_BYTES);
	if (kind !== 'lines' && kind !== 'base64') throw new BundleFault(`expected the key "lines" or "base64", found ${JSON.stringify(kind.slice(0, 40))}`, keyAt);
	await cursor.expect(0x3a, "':'");
	return {path: name, size, kind};
}

export function jsonBundleReader(open: StreamSource, label: string): ArchiveReader {
	return {
		format: 'json',
		async *entries() {
			const raw = await open();
			const cursor = new Cursor(raw);
			let current: PassThrough | undefined;
			try {
				await readHeader(cursor, label);
				const metadata = await cursor.rawValue(METADATA_PATH, READ_LIMITS.maxMetadataBytes - 1);
				const total = declaredTotal(metadata);
				yield bufferEntry(METADATA_PATH, Buffer.concat([metadata, NEWLINE]));
				await cursor.expect(0x2c, "','");
				await cursor.key('entries');
				await cursor.expect(0x5b, "'['");
				const seen = new Set<string>();
				let pathBytes = 0;
				let declared = 0;
				if ((await cursor.peek("the entries' end")) === 0x5d) cursor.index++;
				else
					for (;;) {
						if (seen.size >= READ_LIMITS.maxEntries) throw new LifeboatError('unsafe-archive', `${path.basename(label)} has more than ${READ_LIMITS.maxEntries} entries`);
						const head = await readEntryHead(cursor, seen);
						pathBytes += Buffer.byteLength(head.path);
						declared += head.size;
						if (total !== undefined && declared > total) {
							throw new LifeboatError('unsafe-archive', `${path.basename(label)}: "${head.path.slice(0, 200)}" takes the bundle past the ${total} bytes its metadata.json declares; nothing was restored`);
						}
						let pumped: Promise<void> | undefined;
						yield {
							path: head.path,
							kind: 'file',
							size: head.size,
							open: () => {
								const {stream, sink} = streamSink();
								current = stream;
								pumped = readContent(cursor, head.kind, head.path, head.size, sink).then(
									() => void stream.end(),
									(error: unknown) => {
										const failure = refusal(label, error);
										stream.destroy(failure);
										throw failure;
									},
								);
								pumped.catch(() => undefined);
								return stream;
							},
						};
						await (pumped ?? readContent(cursor, head.kind, head.path, head.size, DISCARD));
						current = undefined;
						await cursor.expect(0x7d, `'}' closing "${head.path.slice(0, 200)}"`);
						const next = await cursor.peek("',' or ']' after an entry");
						cursor.index++;
						if (next === 0x5d) break;
						if (next !== 0x2c) throw new BundleFault(`expected ',' or ']' after an entry, found ${printable(next)}`, cursor.offset - 1);
					}
				await cursor.expect(0x2c, "','");
				await cursor.key('manifest');
				const manifest = await cursor.rawValue(MANIFEST_PATH, manifestLimit(seen.size + 2, pathBytes + Buffer.byteLength(METADATA_PATH + MANIFEST_PATH)) - 1);
				await cursor.expect(0x7d, "the bundle's closing '}'");
				if (await cursor.more()) {
					const at = cursor.offset;
					const byte = await cursor.peek('the end').catch(() => undefined);
					if (byte !== undefined) throw new BundleFault(`trailing data after the bundle's closing '}'`, Math.max(at, cursor.offset));
				}
				yield bufferEntry(MANIFEST_PATH, Buffer.concat([manifest, NEWLINE]));
			} catch (error) {
				throw refusal(label, error);
			} finally {
				current?.destroy();
				raw.destroy();
			}
		},
	};
}

/** Whether the first bytes of a file are those of a JSON bundle: the first byte past whitespace is `{`. */
export function looksLikeJsonBundle(head: Buffer): boolean {
	for (const byte of head) {
		if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
		return byte === 0x7b;
	}
	return false;
}
