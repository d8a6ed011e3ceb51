/**
 * Where the archive bytes of `backup create` go, and how they become a backup there:
 *
 * - a local file or folder: written under a scratch name beside it, fsynced, then published
 *   (atomic-output.ts);
 * - a remote destination: streamed into `Destination.put` while it is written (nothing held
 *   whole, no local copy), then read back: the backup counts only when the stored object's
 *   size and SHA-256 equal what was written;
 * - a stream (`--out -`, stdout): bytes go out as they are made; a stream cannot be taken back,
 *   so a failure midway is reported by the exit code and the receiver must check it.
 *
 * Each sink has a private scratch folder (staged table dumps) on local disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {PassThrough, type Writable} from 'node:stream';
import {finished, pipeline} from 'node:stream/promises';
import {LifeboatError, noRoomReason} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {freshPidScratch} from '../pid-scratch.js';
import type {Destination, RetryNote} from '../destinations/destination.js';
import {destinationError} from '../destinations/retry.js';
import {prepareAtomicOutput, type AtomicOutputOptions} from './atomic-output.js';
import {looksLikeLifeboatBackup, readSniffHead} from './backup-sniff.js';

export type Digest = {size: number; sha256: string};

export type SinkProgress = {phase: 'read-back'; bytesDone: number; bytesTotal: number} | {phase: 'retry'; note: RetryNote};

export type BackupSink = {
	/** Where the backup ends up: a path, a URL, or `-`. */
	label: string;
	/** Its name in its folder or at its destination (none when streamed). */
	fileName?: string;
	/** Private scratch folder on local disk (staged dumps), removed by commit/discard. */
	workDir: string;
	/** Where the archive writer writes; `expectedBytes` sizes remote parts. */
	open(expectedBytes: number): string | Writable;
	/** Makes the written archive the backup (publish / wait for the upload and read it back). */
	commit(digest: Digest): Promise<void>;
	/** Drops everything written; safe to call more than once. */
	discard(): Promise<void>;
	/**
	 * Why the sink itself failed (an upload that died, a reader that went away), once discard()
	 * has settled: that is the error to report, not the archive writer's "premature close".
	 */
	failure(): unknown;
};

/**
 * The private (0700) folder a remote or streamed backup stages its table dumps in, named after
 * this process: a backup that was killed (SIGKILL, a crash) cannot remove it, so each new one
 * first removes those whose process is gone; they hold the gateway's rows unencrypted.
 */
function privateScratch(): string {
	const base = process.env['LIFEBOAT_TMPDIR'] ?? os.tmpdir();
	return freshPidScratch(base, 'lifeboat-staging-', 'Staging the backup');
}

export function localFileSink(finalPath: string, options: AtomicOutputOptions): BackupSink {
	const output = prepareAtomicOutput(finalPath, options);
	return {
		label: finalPath,
		fileName: path.basename(finalPath),
		workDir: output.workDir,
		open: () => output.tempOutput,
		commit: () => output.commit(),
		async discard() {
			output.discard();
		},
		failure: () => undefined,
	};
}

/** The archive streamed to a Writable the caller owns (stdout); it is not ended. */
export function streamSink(target: Writable, label = '-'): BackupSink {
	const workDir = privateScratch();
	const pass = new PassThrough({highWaterMark: 1024 * 1024});
	let failed: unknown;
	// discard() (an interrupt) ends commit()'s waits on a reader that may never read again.
	let discarded = false;
	let abandon = () => {};
	const abandoned = new Promise<void>(resolve => (abandon = resolve));
	target.on('error', error => {
		const noRoom = noRoomReason(error);
		failed = noRoom
			? new LifeboatError('disk-full', `${label === '-' ? 'stdout' : label}: ${noRoom}; no usable backup was written`, {cause: error})
			: new LifeboatError('destination', `${label}: the reader stopped before the archive was complete`, {cause: error});
		pass.destroy(error);
	});
	return {
		label,
		workDir,
		open() {
			pass.pipe(target, {end: false});
			return pass;
		},
		async commit() {
			fs.rmSync(workDir, {recursive: true, force: true});
			// The writer's end ('finish') can come before the pipe has handed the last bytes to the
			// target: wait until it has (or failed), then a turn for the target's write errors.
			await Promise.race([finished(pass, {writable: false}).catch(() => undefined), abandoned]);
			await new Promise(resolve => setImmediate(resolve));
			if (failed) throw failed;
			if (target.writableNeedDrain) await Promise.race([new Promise(resolve => target.once('drain', resolve)), abandoned]);
			if (discarded) throw new LifeboatError('interrupted', 'Backup discarded');
		},
		async discard() {
			discarded = true;
			abandon();
			pass.unpipe(target);
			pass.destroy();
			fs.rmSync(workDir, {recursive: true, force: true});
		},
		failure: () => failed,
	};
}

/** Reads the stored object back whole and hashes it, reporting progress; a failed read fails here (pipeline). */
async function readBack(destination: Destination, name: string, onProgress: ((progress: SinkProgress) => void) | undefined, signal: AbortSignal | undefined): Promise<Digest> {
	const stat = await destination.stat(name, {signal});
	if (!stat) throw destinationError(destination.locate(name), 'the upload completed but the backup is not there when read back');
	const tap = hashingTap();
	let done = 0;
	const stream = await destination.read(name, {signal, onRetry: note => onProgress?.({phase: 'retry', note})});
	await pipeline(stream, tap.transform, async function* (chunks) {
		for await (const chunk of chunks) {
			done += (chunk as Buffer).length;
			onProgress?.({phase: 'read-back', bytesDone: done, bytesTotal: stat.size});
		}
	}, {signal});
	const read = tap.result();
	return read.size === stat.size ? read : {size: -1, sha256: read.sha256};
}

export type RemoteSinkOptions = {
	force?: boolean;
	signal?: AbortSignal;
	onProgress?: (progress: SinkProgress) => void;
	/** Skip reading the upload back (tests of the read-back itself). Not offered to operators. */
	skipReadBack?: boolean;
};

/** `--force` replaces an earlier backup, never anything else: the object's first bytes must be a Lifeboat backup's. */
async function checkReplaceable(destination: Destination, name: string, options: RemoteSinkOptions): Promise<void> {
	const label = destination.locate(name);
	const existing = await destination.stat(name, {signal: options.signal});
	if (!existing) return;
	if (!options.force) throw new LifeboatError('exists', `${label} already exists (pass --force to replace it)`);
	const head = await readSniffHead(destination, name, options.signal);
	if (!looksLikeLifeboatBackup(head)) throw new LifeboatError('exists', `${label} exists and is not a Lifeboat backup; --force only replaces backups`);
}

/**
 * Removes an object this run uploaded but could not confirm (read back failed or differed, the
 * run was interrupted after the upload finished): nothing unconfirmed stays listed as a backup.
 * Says what happened, for the error line.
 */
async function removeUnconfirmed(destination: Destination, name: string): Promise<string> {
	try {
		await destination.delete(name);
		return 'it was removed';
	} catch {
		return `it could not be removed: delete ${destination.locate(name)} before relying on it`;
	}
}

/** Streams the archive into `destination` as `name`, then reads it back (see the file comment). */
export async function remoteSink(destination: Destination, name: string, options: RemoteSinkOptions = {}): Promise<BackupSink> {
	const label = destination.locate(name);
	await checkReplaceable(destination, name, options);
	await destination.cleanup().catch(() => undefined);
	const workDir = privateScratch();
	const pass = new PassThrough({highWaterMark: 1024 * 1024});
	let upload: Promise<Digest> | undefined;
	let uploadFailure: unknown;
	/** The put finished: the object is there, and is ours to remove until it is confirmed. */
	let uploaded = false;
	let confirmed = false;
	const removeScratch = () => fs.rmSync(workDir, {recursive: true, force: true});
	const confirm = async (digest: Digest) => {
		const sent = await upload!;
		if (sent.size !== digest.size || sent.sha256 !== digest.sha256) throw destinationError(label, `sent ${sent.size} bytes but the archive is ${digest.size}; the upload was incomplete`);
		if (options.skipReadBack) return;
		const stored = await readBack(destination, name, options.onProgress, options.signal);
		if (stored.size !== digest.size || stored.sha256 !== digest.sha256) throw destinationError(label, `the stored backup reads back different from what was written (${stored.size === -1 ? 'size' : 'SHA-256'} mismatch)`);
	};
	return {
		label,
		fileName: name,
		workDir,
		open(expectedBytes) {
			// The put gets its own end of the pipe: a backend that tears its source down on failure
			// must not close the writer's stream silently (the writer would wait on it forever);
			// the writer's stream fails, with the upload's error, once the put has rejected.
			const toPut = new PassThrough({highWaterMark: 1024 * 1024});
			pass.pipe(toPut);
			upload = destination.put(name, toPut, {expectedBytes, overwrite: options.force, signal: options.signal, onRetry: note => options.onProgress?.({phase: 'retry', note})});
			upload.then(
				() => (uploaded = true),
				(error: unknown) => {
					uploadFailure = error;
					// The writer must stop too: it would otherwise wait on a stream nobody reads.
					pass.destroy(error instanceof Error ? error : new Error(String(error)));
				},
			);
			return pass;
		},
		async commit(digest) {
			try {
				await confirm(digest);
				confirmed = true;
			} catch (error) {
				if (!uploaded || options.signal?.aborted) throw error;
				const removal = await removeUnconfirmed(destination, name);
				if (error instanceof LifeboatError) throw new LifeboatError(error.code, `${error.message}; ${removal}, run the backup again`, {cause: error});
				throw destinationError(label, `reading the upload back failed (${(error as Error).message.split('\n')[0]}); ${removal}, run the backup again`, error);
			} finally {
				removeScratch();
			}
		},
		async discard() {
			pass.destroy(new LifeboatError('interrupted', 'Backup discarded'));
			await upload?.catch(() => undefined);
			// Interrupted after the upload finished (during the read-back, or before it): not confirmed.
			if (uploaded && !confirmed) await removeUnconfirmed(destination, name);
			removeScratch();
		},
		failure: () => (uploadFailure instanceof LifeboatError && uploadFailure.code === 'interrupted' ? undefined : uploadFailure),
	};
}
