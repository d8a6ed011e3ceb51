import fs from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {describe, expect, it} from 'vitest';
import {openArchive, type ArchiveSource} from '../source/core/archive/archive-reader.js';
import {createArchiveWriter} from '../source/core/archive/archive-writer.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway} from './restore-support.js';

/** A source that hands the file's bytes on in chunks of the given sizes (cycled). */
function chunkedSource(file: string, sizes: number[]): ArchiveSource {
	return {
		format: 'json',
		label: file,
		open: async () => {
			const bytes = fs.readFileSync(file);
			return Readable.from(
				(function* () {
					for (let at = 0, index = 0; at < bytes.length; index++) {
						const size = sizes[index % sizes.length]!;
						yield bytes.subarray(at, at + size);
						at += size;
					}
				})(),
			);
		},
	};
}

async function entriesOf(source: ArchiveSource): Promise<Map<string, Buffer>> {
	const out = new Map<string, Buffer>();
	for await (const entry of openArchive(source).entries()) {
		const chunks: Buffer[] = [];
		for await (const chunk of entry.open()) chunks.push(chunk as Buffer);
		out.set(entry.path, Buffer.concat(chunks));
	}
	return out;
}

const ODD: Array<[string, Buffer | string, 'lines' | 'base64']> = [
	['good.jsonl', '{"a":1}\n[2,"\\u0000"]\n3\n"é"\nnull\n', 'lines'],
	['empty.jsonl', '', 'lines'],
	['blank-line.jsonl', '{"a":1}\n\n{"b":2}\n', 'base64'],
	['no-newline.jsonl', '{"a":1}', 'base64'],
	['number-no-newline.jsonl', '{"a":1}\n12', 'base64'],
	['two-values.jsonl', '1 2\n', 'base64'],
	['crlf.jsonl', '{"a":1}\r\n', 'base64'],
	['leading-space.jsonl', ' {"a":1}\n', 'base64'],
	['bad-utf8.jsonl', Buffer.from([0x22, 0xff, 0x22, 0x0a]), 'base64'],
	['deep.jsonl', `${'['.repeat(65)}${']'.repeat(65)}\n`, 'base64'],
	['not-json.jsonl', 'hello\n', 'base64'],
	['binary.bin', Buffer.from([0, 1, 2, 0xff, 0xfe, 0x22, 0x5c]), 'base64'],
	['one-byte.bin', Buffer.from([7]), 'base64'],
	['two-bytes.bin', Buffer.from([7, 8]), 'base64'],
];

describe('JSON bundle writer and reader', () => {
	it('every entry comes back byte for byte; .jsonl is lines only when every line is exactly one JSON value', async () => {
		const dir = tempDir();
		const file = path.join(dir, 'odd.json');
		const writer = createArchiveWriter({format: 'json', output: file});
		const metadata = Buffer.from(JSON.stringify({kind: 'lifeboat-backup', totalBytes: 1e6}, null, 2) + '\n');
		await writer.addBuffer('metadata.json', metadata);
		for (const [name, content] of ODD) {
			const source = path.join(dir, name);
			fs.writeFileSync(source, content);
			// Files from disk and buffers take the same decision.
			await (name.startsWith('b') ? writer.addBuffer(`x/${name}`, Buffer.from(content)) : writer.addFile(`x/${name}`, source));
		}
		const manifest = Buffer.from('{"files":[]}\n');
		await writer.addBuffer('manifest.json', manifest);
		await writer.finish();
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as {entries: Array<{path: string; lines?: unknown; base64?: unknown}>};
		expect(bundle.entries.map(entry => [entry.path.slice(2), entry.lines === undefined ? 'base64' : 'lines'])).toEqual(ODD.map(([name, , kind]) => [name, kind]));
		for (const sizes of [[65536], [1], [3, 1, 7, 2], [13, 64, 5]]) {
			const read = await entriesOf(chunkedSource(file, sizes));
			expect(read.get('metadata.json'), `chunks ${sizes.join(',')}`).toEqual(metadata);
			expect(read.get('manifest.json')).toEqual(manifest);
			for (const [name, content] of ODD) expect(read.get(`x/${name}`), `${name} in chunks of ${sizes.join(',')}`).toEqual(Buffer.from(content));
		}
	});

	it('a demo gateway bundle verifies whatever the chunking of its bytes (every boundary inside lines, strings and base64)', async () => {
		const dataDir = await demoGateway({tenants: 1, seed: 7});
		const file = (await createBackup({dataDir, destDir: tempDir(), name: 'chunks', format: 'json', includeFiles: true})).path;
		for (const sizes of [[1, 2, 3, 5, 8, 13, 21, 34, 55, 89], [4093, 7]]) {
			const result = await verifyBackup(chunkedSource(file, sizes));
			expect(result.problems, sizes.join(',')).toEqual([]);
			expect(result.ok).toBe(true);
		}
	}, 120_000);

	it('refuses to write what no reader would accept: metadata not one JSON value and a newline, entries out of place', async () => {
		const file = path.join(tempDir(), 'bad.json');
		const writer = createArchiveWriter({format: 'json', output: file});
		await expect(writer.addBuffer('x.jsonl', Buffer.from('1\n'))).rejects.toThrow(/entries go between metadata\.json and manifest\.json/);
		const other = createArchiveWriter({format: 'json', output: path.join(tempDir(), 'bad2.json')});
		await expect(other.addBuffer('metadata.json', Buffer.from('{"a":1}'))).rejects.toThrow(/not one JSON value and a newline/);
		const long = createArchiveWriter({format: 'json', output: path.join(tempDir(), 'long.json')});
		await long.addBuffer('metadata.json', Buffer.from('{}\n'));
		await expect(long.addBuffer(`agents/a/${'x'.repeat(70_000)}.md`, Buffer.from('x'))).rejects.toMatchObject({code: 'unsupported-data', message: expect.stringMatching(/an archive path over 65535 bytes, more than a JSON bundle reader accepts; no backup was written/)});
		// The reader's bound is the writer's: a path at the limit reads, one byte more is refused.
		for (const [length, ok] of [[65_535, true], [65_536, false]] as const) {
			const name = `a/${'y'.repeat(length - 2)}`;
			const bundle = path.join(tempDir(), 'limit.json');
			fs.writeFileSync(bundle, `{"kind":"lifeboat-bundle","bundleVersion":1,"metadata":{},"entries":[{"path":"${name}","size":0,"base64":""}],"manifest":{}}`);
			const reading = entriesOf({format: 'json', label: bundle, open: async () => fs.createReadStream(bundle)});
			if (ok) expect((await reading).get(name)).toEqual(Buffer.alloc(0));
			else await expect(reading).rejects.toThrow(/an entry path is larger than 65537 bytes/);
		}
	});
});
