import crypto from 'node:crypto';
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

export type StreamedTarEntry = {name: string; size: number; content: Buffer | NodeJS.ReadableStream};

/** Packs entries (streams one at a time, for entries too big to hold in memory) into `pack`, then finalizes it. */
export async function packStreaming(pack: tarStream.Pack, entries: StreamedTarEntry[]): Promise<void> {
	for (const entry of entries) {
		await new Promise<void>((resolve, reject) => {
			const sink = pack.entry({name: entry.name, size: entry.size, type: 'file'}, error => (error ? reject(error) : resolve()));
			if (Buffer.isBuffer(entry.content)) sink.end(entry.content);
			else entry.content.pipe(sink);
		});
	}
	pack.finalize();
}

/** Writes a tar.gz whose entries may be streams (for entries too big to hold in memory). */
export async function writeTarGzStreaming(file: string, entries: StreamedTarEntry[]): Promise<void> {
	const pack = tarStream.pack();
	const done = pipeline(pack, zlib.createGzip(), fs.createWriteStream(file));
	await packStreaming(pack, entries);
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

/** One local file of a hand-built zip: its name and stored (already compressed) bytes. */
export type RawLocal = {name: string; data: Buffer; crc32: number; size: number; method: 0 | 8};

/** A zip local entry holding `content`, deflated (method 8) or stored. */
export function rawLocal(name: string, content: Buffer, method: 0 | 8 = 8): RawLocal {
	return {name, data: method === 8 ? zlib.deflateRawSync(content, {level: 9}) : content, crc32: zlib.crc32(content), size: content.length, method};
}

/**
 * Builds a zip byte by byte: the local entries in order, then a central directory whose records
 * each name a local entry by index under any name, so several records can share one local entry
 * (the overlapping-entries bomb) or a record can lie about nothing at all.
 */
export function rawZip(locals: RawLocal[], records: Array<{name: string; local: number}>): Buffer {
	const parts: Buffer[] = [];
	const offsets: number[] = [];
	let offset = 0;
	for (const local of locals) {
		const name = Buffer.from(local.name);
		const header = Buffer.alloc(30);
		header.writeUInt32LE(0x04034b50, 0);
		header.writeUInt16LE(20, 4);
		header.writeUInt16LE(0x0800, 6);
		header.writeUInt16LE(local.method, 8);
		header.writeUInt16LE(0x21, 12);
		header.writeUInt32LE(local.crc32, 14);
		header.writeUInt32LE(local.data.length, 18);
		header.writeUInt32LE(local.size, 22);
		header.writeUInt16LE(name.length, 26);
		offsets.push(offset);
		parts.push(header, name, local.data);
		offset += header.length + name.length + local.data.length;
	}
	const centralStart = offset;
	for (const record of records) {
		const local = locals[record.local]!;
		const name = Buffer.from(record.name);
		const header = Buffer.alloc(46);
		header.writeUInt32LE(0x02014b50, 0);
		header.writeUInt16LE(0x031e, 4);
		header.writeUInt16LE(20, 6);
		header.writeUInt16LE(0x0800, 8);
		header.writeUInt16LE(local.method, 10);
		header.writeUInt16LE(0x21, 14);
		header.writeUInt32LE(local.crc32, 16);
		header.writeUInt32LE(local.data.length, 20);
		header.writeUInt32LE(local.size, 24);
		header.writeUInt16LE(name.length, 28);
		header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
		header.writeUInt32LE(offsets[record.local]!, 42);
		parts.push(header, name);
		offset += header.length + name.length;
	}
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(records.length, 8);
	end.writeUInt16LE(records.length, 10);
	end.writeUInt32LE(offset - centralStart, 12);
	end.writeUInt32LE(centralStart, 16);
	parts.push(end);
	return Buffer.concat(parts);
}

/** A zip whose records are exactly its local entries, each once. */
export function plainRawZip(locals: RawLocal[]): Buffer {
	return rawZip(locals, locals.map((local, index) => ({name: local.name, local: index})));
}

export function sha256(bytes: Buffer): string {
	return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * metadata.json and manifest.json for data files of the given sizes and hashes, with consistent
 * totals (so only the checks under test can refuse the archive). `metadata` is a real backup's
 * metadata.json to start from.
 */
export function sealedDocuments(metadata: Buffer, files: Array<{path: string; size: number; sha256: string}>, edit: (value: Record<string, unknown>) => void = () => {}): {metadata: Buffer; manifest: Buffer} {
	const value = JSON.parse(metadata.toString('utf8')) as Record<string, unknown>;
	value['totalFiles'] = files.length;
	value['totalBytes'] = files.reduce((sum, file) => sum + file.size, 0);
	edit(value);
	const metadataBytes = Buffer.from(JSON.stringify(value, null, 2) + '\n');
	const listed = [{path: 'metadata.json', size: metadataBytes.length, sha256: sha256(metadataBytes)}, ...files];
	const manifest = {kind: 'lifeboat-backup', files: listed, totalFiles: listed.length, totalBytes: value['totalBytes']};
	return {metadata: metadataBytes, manifest: Buffer.from(JSON.stringify(manifest, null, 2) + '\n')};
}
