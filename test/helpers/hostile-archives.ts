import fs from 'node:fs';
import {PassThrough, Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import zlib from 'node:zlib';
import {ZipArchive} from 'archiver';
import tarStream from 'tar-stream';

/** Writes a zip with the given entries; names are patched afterwards so archiver cannot clean them. */
export async function writeZip(file: string, entries: Array<{name: string; content: Buffer | Readable; store?: boolean}>, renames: Array<[string, string]> = []): Promise<void> {
	const archive = new ZipArchive({zlib: {level: 9}});
	const output = fs.createWriteStream(file);
	const closed = new Promise(resolve => output.on('close', resolve));
	archive.pipe(output);
	for (const entry of entries) archive.append(entry.content, {name: entry.name, store: entry.store} as never);
	await archive.finalize();
	await closed;
	if (renames.length > 0) {
		let bytes = fs.readFileSync(file);
		for (const [from, to] of renames) {
			if (from.length !== to.length) throw new Error('renames must keep the length');
			let index = bytes.indexOf(from);
			while (index !== -1) {
				bytes.write(to, index, 'latin1');
				index = bytes.indexOf(from, index + 1);
			}
		}
		fs.writeFileSync(file, bytes);
		bytes = Buffer.alloc(0);
	}
}

/** Writes a tar.gz from raw tar-stream headers (symlinks, absolute paths…). */
export async function writeTarGz(file: string, entries: Array<{header: tarStream.Headers; content?: Buffer}>): Promise<void> {
	const pack = tarStream.pack();
	const done = pipeline(pack, zlib.createGzip(), fs.createWriteStream(file));
	for (const entry of entries) pack.entry(entry.header, entry.content ?? Buffer.alloc(0));
	pack.finalize();
	await done;
}

/** Writes a tar.gz whose entries may be streams (for entries too big to hold in memory). */
export async function writeTarGzStreaming(file: string, entries: Array<{name: string; size: number; content: Buffer | Readable}>): Promise<void> {
	const pack = tarStream.pack();
	const done = pipeline(pack, zlib.createGzip(), fs.createWriteStream(file));
	for (const entry of entries) {
		await new Promise<void>((resolve, reject) => {
			const sink = pack.entry({name: entry.name, size: entry.size, type: 'file'}, error => (error ? reject(error) : resolve()));
			if (Buffer.isBuffer(entry.content)) sink.end(entry.content);
			else entry.content.pipe(sink);
		});
	}
	pack.finalize();
	await done;
}

/** A stream of `size` zero bytes, produced lazily. */
export function zeros(size: number): Readable {
	const chunk = Buffer.alloc(1 << 20);
	let left = size;
	const stream = new PassThrough();
	const pump = () => {
		while (left > 0) {
			const part = chunk.subarray(0, Math.min(chunk.length, left));
			left -= part.length;
			if (!stream.write(part)) {
				stream.once('drain', pump);
				return;
			}
		}
		stream.end();
	};
	pump();
	return stream;
}
