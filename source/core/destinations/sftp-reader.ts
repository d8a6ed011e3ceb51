/**
 * Reading a remote file over SFTP with several read requests in flight (ssh2's createReadStream
 * waits for each 32–64 KiB reply before asking for the next: one round trip per chunk, about a
 * third of the upload speed on loopback). Chunks are still delivered in order, and memory stays
 * at most READ_DEPTH × READ_CHUNK plus the stream's buffer.
 */
import {Readable} from 'node:stream';
import type {SFTPWrapper, Stats} from 'ssh2';

const READ_CHUNK = 64 * 1024;
const READ_DEPTH = 16;
const EOF = 1;

export type RemoteFile = {handle: Buffer; size: number};

/** Opens `remote` for reading and takes its size (the file as it is now: backups do not grow). */
export async function openRemoteFile(sftp: SFTPWrapper, remote: string): Promise<RemoteFile> {
	const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(remote, 'r', (error, handle) => (error ? reject(error) : resolve(handle))));
	try {
		const stats = await new Promise<Stats>((resolve, reject) => sftp.fstat(handle, (error, stats) => (error ? reject(error) : resolve(stats))));
		return {handle, size: stats.size};
	} catch (error) {
		closeQuietly(sftp, handle);
		throw error;
	}
}

export function closeQuietly(sftp: SFTPWrapper, handle: Buffer): void {
	try {
		sftp.close(handle, () => undefined);
	} catch {}
}

/**
 * Bytes [start, end) of an open file as a stream, in order; the handle is closed when the stream
 * ends or is destroyed; `sequential`: one request at a time. `describe` turns a failed request into the error the stream reports.
 */
export function remoteRange(sftp: SFTPWrapper, file: RemoteFile, start: number, end: number, sequential: boolean, describe: (error: unknown) => Error): Readable {
	const depth = sequential ? 1 : READ_DEPTH;
	let next = start;
	const inFlight: Array<{offset: number; length: number; bytes: Promise<Buffer>}> = [];
	let pumping = false;
	const issue = () => {
		while (inFlight.length < depth && next < end) {
			const length = Math.min(READ_CHUNK, end - next);
			const bytes = readAt(sftp, file.handle, next, length);
			bytes.catch(() => undefined);
			inFlight.push({offset: next, length, bytes});
			next += length;
		}
	};
	const pump = async () => {
		if (pumping) return;
		pumping = true;
		try {
			for (;;) {
				issue();
				const head = inFlight.shift();
				if (!head) return void stream.push(null);
				const bytes = await head.bytes;
				if (stream.destroyed) return;
				if (bytes.length < head.length) {
					// A short reply (the server's own limit, or the file shrank): ask again from there.
					inFlight.length = 0;
					if (bytes.length === 0) return void stream.push(null);
					next = head.offset + bytes.length;
				}
				if (!stream.push(bytes)) return;
			}
		} catch (error) {
			stream.destroy(describe(error));
		} finally {
			pumping = false;
		}
	};
	const stream = new Readable({
		highWaterMark: READ_CHUNK * 4,
		read: () => void pump(),
		destroy(error, callback) {
			inFlight.length = 0;
			closeQuietly(sftp, file.handle);
			callback(error);
		},
	});
	return stream;
}

function readAt(sftp: SFTPWrapper, handle: Buffer, offset: number, length: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const buffer = Buffer.allocUnsafe(length);
		sftp.read(handle, buffer, 0, length, offset, (error, bytesRead) => {
			if (error && (error as {code?: unknown}).code !== EOF) return reject(error);
			resolve(buffer.subarray(0, error ? 0 : bytesRead));
		});
	});
}
