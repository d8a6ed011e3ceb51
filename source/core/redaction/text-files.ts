import {M} from './text-steps.js';
import {scrubText} from './scrub-text.js';

/** 1-based numbers of the lines of a text that hold a redaction marker. */
export function markerLines(text: string): number[] {
	const lines: number[] = [];
	text.split('\n').forEach((line, index) => {
		if (line.includes(M)) lines.push(index + 1);
	});
	return lines;
}

type TextEncoding = 'utf8' | 'utf16le' | 'utf16be' | 'latin1';

/**
 * How a text file's bytes read as text: UTF-16 when it starts with its byte order mark, or has
 * none but zero bytes in every other place (what Windows tools write: "Unicode" in Notepad,
 * PowerShell 5's `>`) and decodes cleanly; else UTF-8 when valid; else Latin-1, which keeps every
 * byte. The mark, when there is one, stays in the text (it is written back as it was).
 */
function decodeText(bytes: Buffer): {encoding: TextEncoding; text: string} {
	const utf16 = (encoding: 'utf16le' | 'utf16be') => {
		if (bytes.length % 2 !== 0) return undefined;
		try {
			return new TextDecoder(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be', {fatal: true, ignoreBOM: true}).decode(bytes);
		} catch {
			return undefined;
		}
	};
	const bom = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf16be' : looksUtf16(bytes);
	if (bom) {
		const text = utf16(bom);
		if (text !== undefined) return {encoding: bom, text};
	}
	try {
		return {encoding: 'utf8', text: new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(bytes)};
	} catch {
		return {encoding: 'latin1', text: bytes.toString('latin1')};
	}
}

/** BOM-less UTF-16: zero bytes in at least a third of one parity's places (ASCII in UTF-16) and in almost none of the other's. */
function looksUtf16(bytes: Buffer): 'utf16le' | 'utf16be' | undefined {
	const length = Math.min(bytes.length, 8192) & ~1;
	if (length < 4) return undefined;
	let even = 0;
	let odd = 0;
	for (let index = 0; index < length; index += 2) {
		if (bytes[index] === 0) even++;
		if (bytes[index + 1] === 0) odd++;
	}
	const pairs = length / 2;
	if (odd >= pairs / 3 && even <= pairs / 50) return 'utf16le';
	if (even >= pairs / 3 && odd <= pairs / 50) return 'utf16be';
	return undefined;
}

function encodeText(text: string, encoding: TextEncoding): Buffer {
	if (encoding !== 'utf16be') return Buffer.from(text, encoding);
	return Buffer.from(text, 'utf16le').swap16();
}

/** What a file scrubbed in place is replaced by when a secret is still seen in it read another way (see scrubTextBytes). */
export const UNREADABLE_TEXT_NOTE = `${M}\nLifeboat: this file's text encoding could not be read safely and a credential was seen in it, so its whole content was left out.\n`;

/**
 * A text file (an agent's markdown or notes) as it goes into a backup: credentials scrubbed like
 * free text. A file with nothing to scrub comes back as the very same bytes. It is read as UTF-16
 * (with its byte order mark, or without one when zero bytes say so), UTF-8, or else Latin-1 (which
 * keeps every byte around the redactions), and written back in the same encoding. A file holding
 * zero bytes is also checked read with them dropped (UTF-16 or UTF-32 that did not decode, text
 * with NULs in it): if a secret still shows there, the whole file is replaced by
 * UNREADABLE_TEXT_NOTE, since where to redact in its own encoding is not known. `count` is the
 * number of markers the scrubbed file holds and `lines` where they are (for the re-enter notes).
 */
export function scrubTextBytes(bytes: Buffer): {bytes: Buffer; count: number; lines: number[]} {
	const {encoding, text} = decodeText(bytes);
	const scrubbed = scrubText(text);
	const out = scrubbed === text ? bytes : encodeText(scrubbed, encoding);
	if (out.includes(0)) {
		const view = out.toString('latin1').replaceAll('\0', '');
		if (scrubText(view) !== view) return {bytes: Buffer.from(UNREADABLE_TEXT_NOTE, 'utf8'), count: 1, lines: [1]};
	}
	if (scrubbed === text) return {bytes, count: 0, lines: []};
	return {bytes: out, count: scrubbed.split(M).length - 1, lines: markerLines(scrubbed)};
}

/** The markers a scrubbed text file holds (read in its own encoding, as scrubTextBytes reads it): how many and on which lines. */
export function textFileMarkers(bytes: Buffer): {count: number; lines: number[]} {
	const {text} = decodeText(bytes);
	return {count: text.split(M).length - 1, lines: markerLines(text)};
}
