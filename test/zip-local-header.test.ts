import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {openArchive, plainFileSource} from '../source/core/archive/archive-reader.js';
import {plainRawZip, rawLocal} from './helpers/hostile-archives.js';
import {tempDir} from './helpers/temp-dir.js';

/** The first error (or the bytes) of every entry, in order. */
async function readAll(file: string): Promise<string[]> {
	const results: string[] = [];
	for await (const entry of openArchive(plainFileSource(file)).entries()) {
		try {
			const chunks: Buffer[] = [];
			for await (const chunk of entry.open()) chunks.push(chunk as Buffer);
			results.push(`${entry.path}: ${Buffer.concat(chunks).toString()}`);
		} catch (error) {
			results.push(`${entry.path}: ${(error as Error).message}`);
		}
	}
	return results;
}

/**
 * Zip entries are read from their local header on (not through unzipper's reader): what the local
 * header says about its own length still decides where the data starts, and an entry cut short
 * reads as truncated in the same words unzipper's reader used.
 */
describe('zip entries read from their local header', () => {
	const text = Buffer.from('hello world '.repeat(100));

	it('an extra field longer than the zip holds reads as truncated (FILE_ENDED), the next entry intact', async () => {
		const dir = tempDir('zip-local-');
		const bytes = plainRawZip([rawLocal('a.txt', text), rawLocal('b.txt', text)]);
		// The first local header's extra field length (offset 28) claims 4000 bytes.
		bytes.writeUInt16LE(4000, 28);
		const file = path.join(dir, 'long-extra.zip');
		fs.writeFileSync(file, bytes);
		expect(await readAll(file)).toEqual(['a.txt: long-extra.zip is truncated (FILE_ENDED)', `b.txt: ${text}`]);
	});

	it('a local header without its signature is refused as corrupt', async () => {
		const dir = tempDir('zip-local-');
		const first = rawLocal('a.txt', text);
		const bytes = plainRawZip([first, rawLocal('b.txt', text)]);
		const second = 30 + first.name.length + first.data.length;
		bytes.writeUInt32LE(0x12345678, second);
		const file = path.join(dir, 'bad-signature.zip');
		fs.writeFileSync(file, bytes);
		expect(await readAll(file)).toEqual([`a.txt: ${text}`, 'b.txt: bad-signature.zip is corrupt (invalid local file header signature)']);
	});
});
