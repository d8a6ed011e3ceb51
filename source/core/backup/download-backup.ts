/**
 * Copies one backup from a destination to a local file or folder, or to a stream. Streamed end
 * to end (one read, nothing held whole); a file is put in place only once complete and checked
 * (size as stored, SHA-256 as read), owner-only.
 */
import fs from 'node:fs';
import path from 'node:path';
import {pipeline as pipelineCallback, Transform} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import type {Destination, RetryNote} from '../destinations/destination.js';
import {openLocalDestination} from '../destinations/local.js';
import {destinationError} from '../destinations/retry.js';
import {LifeboatError, noRoomReason} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {isLifeboatBackup} from './backup-sniff.js';
import {copyBackup, copyDestination} from './copy-backup.js';

export type DownloadOptions = {
	force?: boolean;
	signal?: AbortSignal;
	onProgress?: (bytesDone: number, bytesTotal: number) => void;
	onRetry?: (note: RetryNote) => void;
};

export type DownloadResult = {path: string; size: number; sha256: string; files?: number};

function counter(total: number, onProgress: DownloadOptions['onProgress']): Transform {
	let done = 0;
	return new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			done += chunk.length;
			onProgress?.(done, total);
			callback(null, chunk);
		},
	});
}

async function toStream(destination: Destination, name: string, size: number, stream: NodeJS.WritableStream, options: DownloadOptions): Promise<DownloadResult> {
	const tap = hashingTap();
	const source = await destination.read(name, {signal: options.signal, onRetry: options.onRetry});
	const progress = counter(size, options.onProgress);
	// A write that fails (stdout a file on a full disk) stops the copy: never a drain waited for in vain.
	let failed: Error | undefined;
	const onError = (error: Error) => {
		failed ??= error;
	};
	stream.on('error', onError);
	try {
		await pipeline(source, tap.transform, progress, async function* (chunks) {
			for await (const chunk of chunks) {
				if (failed) throw failed;
				if (!stream.write(chunk as Buffer)) await drained(stream);
			}
		}, {signal: options.signal});
		// The last write's error is emitted on the next tick.
		await new Promise(resolve => setImmediate(resolve));
		if (failed) throw failed;
	} catch (error) {
		const noRoom = noRoomReason(error);
		if (noRoom) throw new LifeboatError('disk-full', `stdout: ${noRoom}; the copy is incomplete`, {cause: error});
		throw error;
	} finally {
		stream.off('error', onError);
	}
	const result = tap.result();
	if (result.size !== size) throw destinationError(destination.locate(name), `read ${result.size} of ${size} bytes; the copy is incomplete`);
	return {path: '-', ...result};
}

async function toFile(destination: Destination, name: string, size: number, target: string, options: DownloadOptions): Promise<DownloadResult> {
	// An existing file named as the target is that file (refused below unless --force), not a folder.
	const named = fs.statSync(path.resolve(target), {throwIfNoEntry: false});
	const finalPath = named?.isFile() && !/[\\/]$/.test(target) ? path.resolve(target) : await copyDestination({path: name, fileName: name}, target);
	const existing = fs.lstatSync(finalPath, {throwIfNoEntry: false});
	if (existing && !options.force) throw new LifeboatError('exists', `${finalPath} already exists (pass --force to replace an earlier copy of a backup)`);
	if (existing && !isLifeboatBackup(finalPath)) throw new LifeboatError('exists', `${finalPath} exists and is not a Lifeboat backup; --force only replaces backups`);
	if (existing?.isDirectory()) throw new LifeboatError('exists', `${finalPath} is a folder backup; remove it first`);
	const local = openLocalDestination(path.dirname(finalPath));
	const source = await destination.read(name, {signal: options.signal, onRetry: options.onRetry});
	// pipeline, not pipe: a read that fails midway must fail the put (pipe would leave it waiting).
	const counted = counter(size, options.onProgress);
	pipelineCallback(source, counted, () => undefined);
	const written = await local.put(path.basename(finalPath), counted, {overwrite: options.force, signal: options.signal});
	if (written.size !== size) {
		await local.delete(path.basename(finalPath)).catch(() => undefined);
		throw destinationError(destination.locate(name), `read ${written.size} of ${size} bytes; the incomplete copy was removed`);
	}
	return {path: finalPath, ...written};
}

export async function downloadBackup(destination: Destination, name: string, to: {stream: NodeJS.WritableStream} | {target: string}, options: DownloadOptions = {}): Promise<DownloadResult> {
	const stat = await destination.stat(name, {signal: options.signal, onRetry: options.onRetry});
	if (!stat) throw destinationError(destination.locate(name), 'no such backup');
	if (stat.folder) {
		// A folder backup (local only) is copied as a folder.
		if ('stream' in to) throw new LifeboatError('usage', `${destination.locate(name)} is a folder backup: it cannot be streamed; copy it to a folder`);
		const copied = await copyBackup({path: destination.locate(name), fileName: name}, to.target);
		return {path: copied, size: stat.size, sha256: '', files: undefined};
	}
	try {
		return 'stream' in to ? await toStream(destination, name, stat.size, to.stream, options) : await toFile(destination, name, stat.size, to.target, options);
	} catch (error) {
		if (error instanceof LifeboatError || options.signal?.aborted) throw error;
		// A connection cut mid-read, a stream error of the SDK: one line naming the backup.
		throw destinationError(destination.locate(name), `reading failed (${(error as Error).message?.split('\n')[0] ?? String(error)}); nothing was kept`, error);
	}
}

/** Resolves once `stream` drains, rejects if it fails first. */
function drained(stream: NodeJS.WritableStream): Promise<void> {
	return new Promise((resolve, reject) => {
		const done = () => {
			stream.off('error', fail);
			resolve();
		};
		const fail = (error: Error) => {
			stream.off('drain', done);
			reject(error);
		};
		stream.once('drain', done);
		stream.once('error', fail);
	});
}
