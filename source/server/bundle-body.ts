/**
 * The body of POST /backups/import, `{"bundle": BASE64, "options": {...}}`, read as it arrives:
 * the base64 is checked and decoded into the scratch file chunk by chunk (the upload limit
 * enforced on the decoded bytes as they come), so a 100 MiB bundle is never held as a 133 MiB
 * string, nor parsed twice. Strict: one object, the keys `bundle` (a string of the standard
 * base64 alphabet, padded; `\/` is the one escape JSON encoders use in it) and `options` (any
 * JSON value up to 64 KiB, parsed with JSON.parse afterwards), each at most once.
 */
import fs from 'node:fs';
import path from 'node:path';
import {StringDecoder} from 'node:string_decoder';
import type {Readable} from 'node:stream';
import {badRequest, HttpError, uploadNoRoom} from './http-errors.js';
import {UPLOAD_NAME} from './imports.js';
import {discardRest} from './streams.js';
import {writeAll} from '../core/write-all.js';

const OPTIONS_LIMIT = 64 * 1024;
const BASE64_RUN = /[A-Za-z0-9+/]*/y;
const WHITESPACE = /[ \t\r\n]/;

type State = 'start' | 'key-or-end' | 'key' | 'colon' | 'value' | 'bundle' | 'bundle-escape' | 'other' | 'comma-or-end' | 'key-after-comma' | 'end';

export class BundleBodyParser {
	private state: State = 'start';
	private key = '';
	private readonly seen = new Set<string>();
	/** Base64 characters not yet decoded (fewer than 4 after each chunk). */
	private pending = '';
	private padding = 0;
	private decoded = 0;
	private chars = 0;
	/** The `options` value being captured, as raw JSON text. */
	private raw = '';
	private depth = 0;
	private inString = false;
	private escaped = false;
	optionsText: string | undefined;

	constructor(private readonly fd: number, private readonly limit: number) {}

	write(text: string): void {
		for (let index = 0; index < text.length; index++) {
			const char = text[index]!;
			// The bundle's characters are the bulk: read them in runs.
			if (this.state === 'bundle' && this.padding === 0) {
				BASE64_RUN.lastIndex = index;
				const run = BASE64_RUN.exec(text)![0];
				if (run.length > 0) {
					this.base64(run);
					index += run.length - 1;
					continue;
				}
			}
			this.step(char);
		}
		this.flush(false);
	}

	end(): void {
		if (this.state !== 'end') throw badRequest('the body is not a complete JSON object {"bundle": "...", "options": {...}}');
		if (!this.seen.has('bundle')) throw badRequest('bundle is missing');
		this.flush(true);
	}

	private step(char: string): void {
		switch (this.state) {
			case 'start':
				if (WHITESPACE.test(char)) return;
				if (char !== '{') throw badRequest('the body must be a JSON object');
				this.state = 'key-or-end';
				return;
			case 'key-or-end':
			case 'key-after-comma':
				if (WHITESPACE.test(char)) return;
				if (char === '}' && this.state === 'key-or-end') this.state = 'end';
				else if (char === '"') {
					this.key = '';
					this.state = 'key';
				} else throw badRequest('malformed JSON: a key was expected');
				return;
			case 'key':
				if (char === '"') {
					if (this.key !== 'bundle' && this.key !== 'options') throw badRequest(`unknown field ${JSON.stringify(this.key.slice(0, 40))} (send bundle and options)`);
					if (this.seen.has(this.key)) throw badRequest(`${this.key} is given twice`);
					this.seen.add(this.key);
					this.state = 'colon';
				} else if (char === '\\' || this.key.length > 40) throw badRequest('unknown field (send bundle and options)');
				else this.key += char;
				return;
			case 'colon':
				if (WHITESPACE.test(char)) return;
				if (char !== ':') throw badRequest('malformed JSON: ":" was expected');
				this.state = 'value';
				return;
			case 'value':
				if (WHITESPACE.test(char)) return;
				if (this.key === 'bundle') {
					if (char !== '"') throw badRequest('bundle must be a string (base64)');
					this.state = 'bundle';
				} else this.startOther(char);
				return;
			case 'bundle':
				this.bundleChar(char);
				return;
			case 'bundle-escape':
				if (char !== '/') throw badRequest('bundle is not valid base64 (standard alphabet, padded)');
				this.state = 'bundle';
				this.base64('/');
				return;
			case 'other':
				this.otherChar(char);
				return;
			case 'comma-or-end':
				if (WHITESPACE.test(char)) return;
				if (char === ',') this.state = 'key-after-comma';
				else if (char === '}') this.state = 'end';
				else throw badRequest('malformed JSON: "," or "}" was expected');
				return;
			case 'end':
				if (!WHITESPACE.test(char)) throw badRequest('malformed JSON: text after the object');
		}
	}

	private bundleChar(char: string): void {
		if (char === '"') {
			if (this.chars === 0) throw badRequest('bundle is empty');
			if (this.chars % 4 !== 0) throw badRequest('bundle is not valid base64 (standard alphabet, padded)');
			this.state = 'comma-or-end';
		} else if (char === '\\') this.state = 'bundle-escape';
		else if (char === '=' && this.padding < 2) {
			this.padding++;
			this.base64('=');
		} else throw badRequest('bundle is not valid base64 (standard alphabet, padded)');
	}

	private base64(run: string): void {
		if (this.padding > 0 && run !== '=') throw badRequest('bundle is not valid base64 (standard alphabet, padded)');
		this.chars += run.length;
		this.pending += run;
		if (this.pending.length >= 64 * 1024) this.flush(false);
	}

	/** Decodes whole groups of 4 (all of it at the end) into the file, checking the limit. */
	private flush(last: boolean): void {
		const whole = last ? this.pending.length : this.pending.length - (this.pending.length % 4);
		if (whole === 0) return;
		const bytes = Buffer.from(this.pending.slice(0, whole), 'base64');
		this.pending = this.pending.slice(whole);
		this.decoded += bytes.length;
		if (this.decoded > this.limit) throw new HttpError(413, 'Payload too large', `the bundle decodes to more than the limit of ${this.limit} bytes (--upload-limit-mb)`);
		writeAll(this.fd, bytes);
	}

	private startOther(char: string): void {
		this.raw = char;
		this.depth = char === '{' || char === '[' ? 1 : 0;
		this.inString = char === '"';
		this.escaped = false;
		this.state = 'other';
	}

	/** Captures the options value: an object, array or string to its end; a primitive to a delimiter. */
	private otherChar(char: string): void {
		const primitive = this.depth === 0 && !this.inString && !this.raw.startsWith('"');
		if (primitive && (char === ',' || char === '}' || WHITESPACE.test(char))) {
			this.finishOther();
			this.step(char);
			return;
		}
		this.raw += char;
		if (this.raw.length > OPTIONS_LIMIT) throw badRequest('options is too long');
		if (this.inString) {
			if (this.escaped) this.escaped = false;
			else if (char === '\\') this.escaped = true;
			else if (char === '"') {
				this.inString = false;
				if (this.depth === 0) this.finishOther();
			}
			return;
		}
		if (char === '"') this.inString = true;
		else if (char === '{' || char === '[') this.depth++;
		else if (char === '}' || char === ']') {
			this.depth--;
			if (this.depth === 0) this.finishOther();
		}
	}

	private finishOther(): void {
		this.optionsText = this.raw;
		this.state = 'comma-or-end';
	}
}

/** Reads the body into scratch/upload; answers the parsed options (undefined when not given). */
export async function receiveBundleBody(payload: Readable, scratch: string, limit: number, bodyLimit: number): Promise<{options: unknown}> {
	const fd = fs.openSync(path.join(scratch, UPLOAD_NAME), 'wx', 0o600);
	try {
		return await readBody(payload, fd, limit, bodyLimit);
	} catch (thrown) {
		const error = uploadNoRoom(thrown) ?? thrown;
		// Refused while the client is still sending: the answer goes out once the rest is read.
		if (error instanceof HttpError) await discardRest(payload);
		throw error;
	} finally {
		fs.closeSync(fd);
	}
}

async function readBody(payload: Readable, fd: number, limit: number, bodyLimit: number): Promise<{options: unknown}> {
	const parser = new BundleBodyParser(fd, limit);
	const decoder = new StringDecoder('utf8');
	let received = 0;
	// Not destroyed when a refusal ends the loop (see discardRest).
	for await (const chunk of payload.iterator({destroyOnReturn: false})) {
		received += (chunk as Buffer).length;
		if (received > bodyLimit) throw new HttpError(413, 'Payload too large', `the body is larger than ${bodyLimit} bytes (4/3 of --upload-limit-mb, plus 64 KiB)`);
		parser.write(decoder.write(chunk as Buffer));
	}
	parser.write(decoder.end());
	parser.end();
	if (parser.optionsText === undefined) return {options: undefined};
	try {
		return {options: JSON.parse(parser.optionsText) as unknown};
	} catch {
		throw badRequest('options is not valid JSON');
	}
}
