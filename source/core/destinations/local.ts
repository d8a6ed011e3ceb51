/**
 * A folder on this host as a Destination. Backups written by `backup create` to a local folder
 * keep their own path (atomic-output.ts: folder backups, fsync, hard-link publishing); this is
 * what listing, download, delete and `destination test` use, and what puts a stream (a download
 * or a copy) into a folder: a private scratch folder beside the target, then a link/rename.
 */
import fs from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {fsyncPath} from '../archive/archive-writer.js';
import {PARTIAL_PREFIX, publishWithoutReplacing, sweepStalePartials} from '../backup/atomic-output.js';
import {describeFsError, LifeboatError} from '../errors.js';
import {hashingTap} from '../hashing-tap.js';
import {ensureDir, mkdirPrivate, PRIVATE_FILE_MODE} from '../private-fs.js';
import {checkObjectName, isObjectName, type Destination, type PutOptions, type PutResult, type StoredObject} from './destination.js';
import crypto from 'node:crypto';

function dirSize(dir: string): number {
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

export function openLocalDestination(folder: string): Destination {
	const root = path.resolve(folder);
	const full = (name: string) => path.join(root, checkObjectName(name));
	const missing = (name: string) => new LifeboatError('destination', `${full(name)}: no such backup`);
	const fsError = (error: unknown, what: string): never => {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LifeboatError('destination', `${what}: no such file`, {cause: error});
		describeFsError(error, what);
	};

	async function put(name: string, source: Readable, options: PutOptions = {}): Promise<PutResult> {
		const target = full(name);
		try {
			ensureDir(root);
		} catch (error) {
			fsError(error, `Destination ${root}`);
		}
		if (!options.overwrite && fs.lstatSync(target, {throwIfNoEntry: false})) throw new LifeboatError('exists', `${target} already exists`);
		const scratch = path.join(root, `${PARTIAL_PREFIX}${process.pid}-put-${crypto.randomBytes(3).toString('hex')}`);
		mkdirPrivate(scratch);
		try {
			const temporary = path.join(scratch, 'output');
			let sent = 0;
			const tap = hashingTap(bytes => options.onBytes?.((sent += bytes)));
			await pipeline(source, tap.transform, fs.createWriteStream(temporary, {flags: 'wx', mode: PRIVATE_FILE_MODE}), {signal: options.signal});
			fs.chmodSync(temporary, PRIVATE_FILE_MODE);
			await fsyncPath(temporary);
			if (options.overwrite) fs.renameSync(temporary, target);
			else publishWithoutReplacing(temporary, target);
			await fsyncPath(root);
			return tap.result();
		} catch (error) {
			if (error instanceof LifeboatError) throw error;
			if ((error as NodeJS.ErrnoException).code && (error as Error).name !== 'AbortError') fsError(error, target);
			throw error;
		} finally {
			fs.rmSync(scratch, {recursive: true, force: true});
		}
	}

	return {
		kind: 'local',
		label: root,
		locate: name => full(name),
		put,
		async list() {
			let names: string[];
			try {
				names = fs.readdirSync(root);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
				if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new LifeboatError('destination', `Cannot read backup folder ${root}: it is a file, not a folder`);
				throw new LifeboatError('destination', `Cannot read backup folder ${root} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
			}
			const objects: StoredObject[] = [];
			for (const name of names) {
				if (name.startsWith('.') || !isObjectName(name)) continue;
				const stats = fs.statSync(path.join(root, name), {throwIfNoEntry: false});
				if (stats && (stats.isFile() || stats.isDirectory())) objects.push(toObject(name, stats, path.join(root, name)));
			}
			return objects;
		},
		async stat(name) {
			const stats = fs.statSync(full(name), {throwIfNoEntry: false});
			return stats && (stats.isFile() || stats.isDirectory()) ? toObject(name, stats, full(name)) : undefined;
		},
		async readRange(name, offset, length) {
			let handle: fs.promises.FileHandle;
			try {
				handle = await fs.promises.open(full(name), 'r');
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(name);
				return fsError(error, full(name));
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
		},
		async read(name, options = {}) {
			const target = full(name);
			const stats = fs.statSync(target, {throwIfNoEntry: false});
			if (!stats?.isFile()) throw missing(name);
			return fs.createReadStream(target, {start: options.offset ?? 0, highWaterMark: 256 * 1024});
		},
		async delete(name) {
			const target = full(name);
			const stats = fs.lstatSync(target, {throwIfNoEntry: false});
			if (!stats) throw missing(name);
			try {
				fs.rmSync(target, {recursive: stats.isDirectory(), force: false});
			} catch (error) {
				fsError(error, target);
			}
		},
		async cleanup() {
			return sweepStalePartials(root).map(removed => `removed ${path.join(root, removed)}`);
		},
		async close() {},
	};
}
