/**
 * The single-file JSON bundle (`--format json`): one JSON document, written front to back with its
 * keys in the order a reader streams them:
 *
 *   {"kind":"lifeboat-bundle","bundleVersion":1,"metadata":<metadata.json>,"entries":[
 *   {"path":"tables/x.jsonl","size":N,"lines":[
 *   <line>,
 *   <line>
 *   ]},
 *   {"path":"files/…","size":N,"base64":"…"}
 *   ],"manifest":<manifest.json>}
 *
 * Every entry's exact bytes come back out (json-bundle-reader.ts): a `lines` entry is its
 * elements' raw text each followed by "\n"; a `base64` entry is the decoded string; metadata and
 * manifest are their raw text plus "\n". `size` (the entry's byte count) precedes the content so
 * a reader knows it before reading, as tar and zip headers tell. A `.jsonl` entry is written as
 * `lines` only when the scanner the reader uses accepts every line (json-scanner.ts); anything
 * else is base64, so the bundle is always valid JSON. The bytes go through the same target as zip
 * and tar.gz (archive-writer.ts ArchiveTarget): encryption, the output's digest, a 0600 file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import {LifeboatError} from '../errors.js';
import {fsyncPath, PRIVATE_FILE_MODE} from '../private-fs.js';
import {BUNDLE_KIND, BUNDLE_VERSION, MANIFEST_PATH, METADATA_PATH, type ManifestEntry} from './archive-format.js';
import {ArchiveTarget, bufferBlocks, checkWrittenPath, openFileSource, type ArchiveWriter, type EntrySource, type WriterOptions} from './archive-writer.js';
import {READ_LIMITS} from './entry-guard.js';
import {BUNDLE_MAX_PATH_BYTES} from './json-bundle-reader.js';
import {JsonLinesChecker, JsonValueScanner} from './json-scanner.js';

/** Longest line written as a `lines` element (the reader's ceiling); longer ones go as base64. */
export const BUNDLE_MAX_LINE_BYTES = READ_LIMITS.maxLineBytes;

const COMMA_NEWLINE = Buffer.from(',\n');
const NEWLINE = Buffer.from('\n');

/**
 * Whether metadata.json / manifest.json bytes are one JSON value (no whitespace before it) and a
 * final "\n": the shape the bundle holds them in (their raw text, the "\n" implied).
 */
function checkWrapped(archivePath: string, content: Buffer): Buffer {
	const body = content.subarray(0, content.length - 1);
	const scanner = new JsonValueScanner();
	let complete = false;
	try {
		const end = content.at(-1) === 0x0a ? scanner.scan(body, 0, body.length) : -2;
		complete = end === body.length || (end === -1 && scanner.end());
	} catch {
		complete = false;
	}
	if (!complete) throw new Error(`${archivePath} is not one JSON value and a newline: no JSON bundle reader would accept it; no backup was written`);
	return body;
}

/** Whether a file's bytes can go as `lines` (read once more to tell; the write checks again). */
async function representableAsLines(file: string): Promise<boolean> {
	const source = await openFileSource(file);
	const checker = new JsonLinesChecker(BUNDLE_MAX_LINE_BYTES);
	try {
		for await (const block of source.blocks) checker.push(block);
		checker.end();
		return true;
	} catch (error) {
		if (error instanceof LifeboatError) throw error;
		return false;
	} finally {
		await source.close?.();
	}
}

/** A block of a `lines` entry as written: each "\n" but the entry's last becomes ",\n". */
function linesBlock(block: Buffer, position: number, size: number): Buffer {
	const parts: Buffer[] = [];
	let from = 0;
	for (let at = block.indexOf(0x0a); at !== -1; at = block.indexOf(0x0a, at + 1)) {
		parts.push(block.subarray(from, at), position + at === size - 1 ? NEWLINE : COMMA_NEWLINE);
		from = at + 1;
	}
	if (from === 0) return block;
	parts.push(block.subarray(from));
	return Buffer.concat(parts);
}

export function createJsonBundleWriter(options: WriterOptions): ArchiveWriter {
	const target = new ArchiveTarget(options);
	let stage: 'metadata' | 'entries' | 'closed' = 'metadata';
	let entries = 0;
	let queue: Promise<unknown> = Promise.resolve();
	const serial = <T>(work: () => Promise<T>): Promise<T> => {
		const result = queue.then(async () => {
			if (target.failure()) throw target.failure();
			return work();
		});
		queue = result.catch(() => undefined);
		return result;
	};
	const write = (text: string | Buffer) => target.write(typeof text === 'string' ? Buffer.from(text) : text);
	const digest = (archivePath: string, content: Buffer): ManifestEntry => ({path: archivePath, size: content.length, sha256: crypto.createHash('sha256').update(content).digest('hex')});

	const writeMetadata = async (content: Buffer) => {
		if (stage !== 'metadata') throw new Error(`${METADATA_PATH} must be a JSON bundle's first entry`);
		const body = checkWrapped(METADATA_PATH, content);
		await write(`{"kind":${JSON.stringify(BUNDLE_KIND)},"bundleVersion":${BUNDLE_VERSION},"metadata":`);
		await write(body);
		await write(',"entries":[');
		stage = 'entries';
		options.onBytes?.(content.length);
		return digest(METADATA_PATH, content);
	};

	const writeManifest = async (content: Buffer) => {
		if (stage !== 'entries') throw new Error(`${MANIFEST_PATH} must follow ${METADATA_PATH} and be a JSON bundle's last entry`);
		const body = checkWrapped(MANIFEST_PATH, content);
		await write(`${entries > 0 ? '\n' : ''}],"manifest":`);
		await write(body);
		await write('}\n');
		stage = 'closed';
		return digest(MANIFEST_PATH, content);
	};

	const writeEntry = async (archivePath: string, open: () => Promise<EntrySource>, asLines: boolean): Promise<ManifestEntry> => {
		if (stage !== 'entries') throw new Error(`A JSON bundle's entries go between ${METADATA_PATH} and ${MANIFEST_PATH}`);
		checkWrittenPath(archivePath);
		const quoted = JSON.stringify(archivePath);
		if (Buffer.byteLength(quoted) - 2 > BUNDLE_MAX_PATH_BYTES) {
			throw new LifeboatError('unsupported-data', `${quoted.slice(0, 80)}…: an archive path over ${BUNDLE_MAX_PATH_BYTES} bytes, more than a JSON bundle reader accepts; no backup was written: use --format tar.gz`);
		}
		const source = await open();
		const hash = crypto.createHash('sha256');
		const {size} = source;
		try {
			await write(`${entries++ > 0 ? ',\n' : ''}{"path":${quoted},"size":${size},${asLines ? '"lines":[\n' : '"base64":"'}`);
			const checker = asLines ? new JsonLinesChecker(BUNDLE_MAX_LINE_BYTES) : undefined;
			let position = 0;
			let carry = Buffer.alloc(0);
			for await (const block of source.blocks) {
				hash.update(block);
				options.onBytes?.(block.length);
				if (checker) {
					try {
						checker.push(block);
					} catch (error) {
						throw changedLines(archivePath, error);
					}
					await write(linesBlock(block, position, size));
				} else {
					// base64 in whole 3-byte groups; the rest waits for the next block (or the end).
					const bytes = carry.length > 0 ? Buffer.concat([carry, block]) : block;
					const whole = bytes.length - (bytes.length % 3);
					if (whole > 0) await write(bytes.subarray(0, whole).toString('base64'));
					carry = Buffer.from(bytes.subarray(whole));
				}
				position += block.length;
			}
			if (checker) {
				try {
					checker.end();
				} catch (error) {
					throw changedLines(archivePath, error);
				}
				await write(']}');
			} else await write(`${carry.toString('base64')}"}`);
		} catch (error) {
			target.fail(error as Error);
			throw error;
		} finally {
			await source.close?.();
		}
		return {path: archivePath, size, sha256: hash.digest('hex')};
	};

	return {
		addFile: (archivePath, file) =>
			serial(async () => {
				const asLines = archivePath.endsWith('.jsonl') && (await representableAsLines(file));
				return writeEntry(archivePath, () => openFileSource(file), asLines);
			}),
		addBuffer: (archivePath, content) =>
			serial(async () => {
				if (archivePath === METADATA_PATH) return writeMetadata(content);
				if (archivePath === MANIFEST_PATH) return writeManifest(content);
				const asLines = archivePath.endsWith('.jsonl') && linesFit(content);
				return writeEntry(archivePath, async () => ({size: content.length, blocks: bufferBlocks(content)}), asLines);
			}),
		finish: () =>
			serial(async () => {
				if (stage !== 'closed') throw new Error(`A JSON bundle ends with ${MANIFEST_PATH}; finish() came before it`);
				const file = typeof options.output === 'string' ? options.output : undefined;
				const result = await target.end(Boolean(file));
				if (file) {
					fs.chmodSync(file, PRIVATE_FILE_MODE);
					await fsyncPath(file);
				}
				return result;
			}),
		async abort() {
			target.destroy();
			await new Promise(resolve => setImmediate(resolve));
		},
	};
}

function linesFit(content: Buffer): boolean {
	const checker = new JsonLinesChecker(BUNDLE_MAX_LINE_BYTES);
	try {
		checker.push(content);
		checker.end();
		return true;
	} catch {
		return false;
	}
}

/** A file that passed the lines check and then failed it while written changed in between. */
function changedLines(archivePath: string, error: unknown): LifeboatError {
	return new LifeboatError('source-changed', `${archivePath} changed while being backed up (${(error as Error).message}); nothing was written, run the backup again`);
}
