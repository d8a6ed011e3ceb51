/**
 * A folder on this host as a Destination. Backups written by `backup create` to a local folder
 * keep their own path (backup/atomic-output.ts: folder backups, fsync, hard-link publishing); this
 * is what listing, download, delete and `destination test` use, and what puts a stream (a
 * download or a copy) into a folder: a private scratch folder beside the target, then a
 * link/rename that never replaces anything unless asked to.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {describeFsError, LifeboatError} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {ensureDir, fsyncPath, mkdirPrivate, PRIVATE_FILE_MODE} from '../private-fs.js';
import {checkObjectName, isObjectName, type Destination, type PutOptions, type PutResult, type StoredObject} from './destination.js';
import {holdPartial, PARTIAL_PREFIX, publishWithoutReplacing, sweepStalePartials} from './local-publish.js';

/** Bytes of every file under a folder (a folder backup's size). */
export function dirSize(dir: string): number {
	let size = 0;
	for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
		const full = path.join(dir, entry.name);
		size += entry.isDirectory() ? dirSize(full) : entry.isFile() ? fs.statSync(full).size : 0;
	}
	return size;
}

function toObject(name: string, stats: fs.Stats, full: string): StoredObject {
	return stats.isDirectory() ? {name, size: dirSize(full), modified: stats.mtime, folder: true} : {name, size: stats.size, modified: stats.mtime};
}

/** A missing file is the destination's "no such file"; anything else as the file system says it. */
function fsError(error: unknown, what: string): never {
	if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LifeboatError('destination', `${what}: no such file`, {cause: error});
	describeFsError(error, what);
}

class LocalDestination implements Destination {
	readonly kind = 'local' as const;

	constructor(readonly label: string) {}

	locate(name: string): string {
		return path.join(this.label, checkObjectName(name));
	}

	private missing(name: string): LifeboatError {
		return new LifeboatError('destination', `${this.locate(name)}: no such backup`);
	}

	async put(name: string, source: Readable, options: PutOptions = {}): Promise<PutResult> {
		const target = this.locate(name);
		try {
			ensureDir(this.label);
		} catch (error) {
			fsError(error, `Destination ${this.label}`);
		}
		if (!options.overwrite && fs.lstatSync(target, {throwIfNoEntry: false})) throw new LifeboatError('exists', `${target} already exists`);
		const scratch = path.join(this.label, `${PARTIAL_PREFIX}${process.pid}-put-${crypto.randomBytes(3).toString('hex')}`);
		const release = holdPartial(scratch);
		try {
			mkdirPrivate(scratch);
			return await this.writeAndPublish(source, path.join(scratch, 'output'), target, options);
		} catch (error) {
			if (error instanceof LifeboatError) throw error;
			if ((error as NodeJS.ErrnoException).code && (error as Error).name !== 'AbortError') fsError(error, target);
			throw error;
		} finally {
			fs.rmSync(scratch, {recursive: true, force: true});
			release();
		}
	}

	/** Streams into the scratch file (0600), fsyncs it, and puts it under its name. */
	private async writeAndPublish(source: Readable, temporary: string, target: string, options: PutOptions): Promise<PutResult> {
		let sent = 0;
		const tap = hashingTap(bytes => options.onBytes?.((sent += bytes)));
		await pipeline(source, tap.transform, fs.createWriteStream(temporary, {flags: 'wx', mode: PRIVATE_FILE_MODE}), {signal: options.signal});
		fs.chmodSync(temporary, PRIVATE_FILE_MODE);
		await fsyncPath(temporary);
		if (options.overwrite) fs.renameSync(temporary, target);
		else publishWithoutReplacing(temporary, target);
		await fsyncPath(this.label);
		return tap.result();
	}

	async list(): Promise<StoredObject[]> {
		let names: string[];
		try {
			names = fs.readdirSync(this.label);
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code === 'ENOENT') return [];
			if (code === 'ENOTDIR') throw new LifeboatError('destination', `Cannot read backup folder ${this.label}: it is a file, not a folder`);
			throw new LifeboatError('destination', `Cannot read backup folder ${this.label} (${code ?? (error as Error).message})`);
		}
		const objects: StoredObject[] = [];
		for (const name of names) {
			if (name.startsWith('.') || !isObjectName(name)) continue;
			const full = path.join(this.label, name);
			const stats = fs.statSync(full, {throwIfNoEntry: false});
			if (stats && (stats.isFile() || stats.isDirectory())) objects.push(toObject(name, stats, full));
		}
		return objects;
	}

	async stat(name: string): Promise<StoredObject | undefined> {
		const full = this.locate(name);
		const stats = fs.statSync(full, {throwIfNoEntry: false});
		return stats && (stats.isFile() || stats.isDirectory()) ? toObject(name, stats, full) : undefined;
	}

	async readRange(name: string, offset: number, length: number): Promise<Buffer> {
		let handle: fs.promises.FileHandle;
		try {
			handle = await fs.promises.open(this.locate(name), 'r');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw this.missing(name);
			return fsError(error, this.locate(name));
		}
		try {
			const buffer = Buffer.alloc(length);
			let filled = 0;
			while (filled < length) {
				const {bytesRead} = await handle.read(buffer, filled, length - filled, offset + filled);
				if (bytesRead === 0) break;
				filled += bytesRead;
			}
			return buffer.subarray(0, filled);
		} finally {
			await handle.close();
		}
	}

	async read(name: string, options: {offset?: number} = {}): Promise<Readable> {
		const target = this.locate(name);
		if (!fs.statSync(target, {throwIfNoEntry: false})?.isFile()) throw this.missing(name);
		return fs.createReadStream(target, {start: options.offset ?? 0, highWaterMark: 256 * 1024});
	}

	async delete(name: string): Promise<void> {
		const target = this.locate(name);
		const stats = fs.lstatSync(target, {throwIfNoEntry: false});
		if (!stats) throw this.missing(name);
		try {
			if (!stats.isDirectory()) {
				fs.rmSync(target, {force: false});
				return;
			}
			// A folder backup is removed file by file: renamed first (one atomic step) to a scratch name
			// nothing lists, so a crash mid-way leaves no half backup under its name; the rest is swept.
			const doomed = path.join(path.dirname(target), `${PARTIAL_PREFIX}${process.pid}-delete-${crypto.randomBytes(6).toString('hex')}`);
			fs.renameSync(target, doomed);
			fs.rmSync(doomed, {recursive: true, force: false});
		} catch (error) {
			fsError(error, target);
		}
	}

	async cleanup(): Promise<string[]> {
		return sweepStalePartials(this.label).map(removed => `removed ${path.join(this.label, removed)}`);
	}

	async close(): Promise<void> {}
}

export function openLocalDestination(folder: string): Destination {
	return new LocalDestination(path.resolve(folder));
}
