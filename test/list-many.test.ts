/**
 * Listing thousands of backups: every one read, none reported as damaged because the process
 * ran out of file descriptors, a bounded number of files open at once, and a summary cache that
 * never serves a file that changed.
 */
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import fc from 'fast-check';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {isOutOfFileDescriptors, mapBounded} from '../source/core/backup/bounded-map.js';
import {findBackupEntries, listBackups, listLocalBackup} from '../source/core/backup/list-backups.js';
import {SummaryCache} from '../source/core/backup/summary-cache.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {CLI} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

const COUNT = 10_000;
const KINDS = [
	{ext: 'zip', encrypted: false},
	{ext: 'tar.gz', encrypted: false},
	{ext: 'zip.enc', encrypted: true},
] as const;

let seeds: Record<string, string>;
let many: string;
let dataDir: string;

beforeAll(async () => {
	dataDir = path.join(tempDir(), 'gateway');
	await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 61});
	const seedDir = tempDir();
	seeds = {};
	for (const kind of KINDS) {
		const format = kind.ext.startsWith('zip') ? 'zip' : 'tar.gz';
		const made = await createBackup({dataDir, destDir: seedDir, name: `seed-${format}${kind.encrypted ? '-enc' : ''}`, format, categories: ['tools'], ...(kind.encrypted ? {passphrase: 'list many passphrase', kdfIterations: 1000} : {})});
		seeds[kind.ext] = made.path;
	}
	// Hard links: 10,000 names for three real backups (a listing reads each name on its own).
	many = tempDir();
	for (let index = 0; index < COUNT; index++) {
		const kind = KINDS[index % KINDS.length]!;
		fs.linkSync(seeds[kind.ext]!, path.join(many, `b-${String(index).padStart(5, '0')}.${kind.ext}`));
	}
}, 240_000);

describe('backup list of 10,000 backups', () => {
	it('under ulimit -n 256 lists every one, valid, exactly once', () => {
		const output = execFileSync('sh', ['-c', 'ulimit -n 256; exec "$0" --max-semi-space-size=4 "$1" backup list --json --dest "$2"', process.execPath, CLI, many], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: {...process.env, FORCE_COLOR: '0'}});
		const {ok, backups} = JSON.parse(output) as {ok: boolean; backups: Array<{path: string; name: string; encrypted: boolean; id?: string; error?: string}>};
		expect(ok).toBe(true);
		expect(backups).toHaveLength(COUNT);
		expect(backups.filter(backup => backup.error)).toEqual([]);
		expect(new Set(backups.map(backup => backup.path)).size).toBe(COUNT);
		expect(backups.every(backup => typeof backup.id === 'string')).toBe(true);
		expect(backups.filter(backup => backup.encrypted)).toHaveLength(Math.floor(COUNT / 3));
		expect(backups.filter(backup => backup.name === 'seed-tar.gz')).toHaveLength(Math.round(COUNT / 3));
	}, 120_000);
});

/**
 * A child process whose every file descriptor is taken the moment the listing opens its first
 * backup (fs.promises.open is wrapped); with `release`, they are given back after the first
 * open that found none free.
 */
function listWithDescriptorsExhausted(dir: string, release: boolean): {status: 'listed' | 'refused'; rows?: Array<{error?: string}>; message?: string} {
	const script = path.join(tempDir(), 'exhaust.mjs');
	const listModule = pathToFileURL(path.resolve('dist/core/backup/list-backups.js')).href;
	fs.writeFileSync(
		script,
		`import fs from 'node:fs';
const {listBackups} = await import(${JSON.stringify(listModule)});
const held = [];
const open = fs.promises.open;
let filled = false;
fs.promises.open = async (...args) => {
	if (!filled) {
		filled = true;
		try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (error) { if (error.code !== 'EMFILE') throw error; }
	}
	try {
		return await open(...args);
	} catch (error) {
		if (error.code === 'EMFILE' && ${release}) for (const fd of held.splice(0)) fs.closeSync(fd);
		throw error;
	}
};
try {
	const rows = await listBackups(${JSON.stringify(dir)});
	process.stdout.write(JSON.stringify({status: 'listed', rows: rows.map(row => ({error: row.error}))}));
} catch (error) {
	process.stdout.write(JSON.stringify({status: 'refused', message: error.message, code: error.code}));
}
`,
	);
	return JSON.parse(execFileSync('sh', ['-c', 'ulimit -n 256; exec "$0" "$1"', process.execPath, script], {encoding: 'utf8'})) as never;
}

describe('out of file descriptors', () => {
	it('is never reported as a damaged backup: the listing waits for descriptors to be free', () => {
		const dir = tempDir();
		for (let index = 0; index < 60; index++) fs.linkSync(seeds[KINDS[index % 3]!.ext]!, path.join(dir, `x-${index}.${KINDS[index % 3]!.ext}`));
		const result = listWithDescriptorsExhausted(dir, true);
		expect(result.status).toBe('listed');
		expect(result.rows).toHaveLength(60);
		expect(result.rows!.filter(row => row.error)).toEqual([]);
	}, 60_000);

	it('when none ever comes free, the whole listing fails with one line (no row says corrupt)', () => {
		const dir = tempDir();
		for (let index = 0; index < 20; index++) fs.linkSync(seeds['zip']!, path.join(dir, `y-${index}.zip`));
		const result = listWithDescriptorsExhausted(dir, false);
		expect(result).toMatchObject({status: 'refused', code: 'destination'});
		expect(result.message).toMatch(/^Cannot read .*y-\d+\.zip: too many open files \(the open-file limit is too low: raise it with ulimit -n/);
		expect(result.message).not.toContain('\n');
	}, 60_000);

	it('recognises EMFILE and ENFILE however wrapped, and nothing else', () => {
		const emfile = Object.assign(new Error('open x'), {code: 'EMFILE'});
		expect(isOutOfFileDescriptors(emfile)).toBe(true);
		expect(isOutOfFileDescriptors(new Error('wrapped', {cause: Object.assign(new Error('y'), {code: 'ENFILE'})}))).toBe(true);
		expect(isOutOfFileDescriptors(new Error("EMFILE: too many open files, open '/x'"))).toBe(true);
		for (const code of ['ENOENT', 'EACCES', 'EIO']) expect(isOutOfFileDescriptors(Object.assign(new Error(code), {code}))).toBe(false);
		expect(isOutOfFileDescriptors(new Error('metadata.json: not a Lifeboat backup'))).toBe(false);
	});
});

describe('mapBounded', () => {
	it('never runs more than the limit at once, keeps the order, and starts nothing after a failure', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(fc.nat(3), {maxLength: 80}), fc.integer({min: 1, max: 20}), fc.option(fc.nat(79), {nil: undefined}), async (delays, limit, failAt) => {
				let running = 0;
				let most = 0;
				let started = 0;
				const work = async (delay: number, index: number) => {
					started++;
					running++;
					most = Math.max(most, running);
					for (let tick = 0; tick < delay; tick++) await new Promise(resolve => setImmediate(resolve));
					running--;
					if (index === failAt) throw new Error(`item ${index}`);
					return index * 2;
				};
				const failing = failAt !== undefined && failAt < delays.length;
				const outcome = await mapBounded(delays, limit, work).then(
					results => ({results}),
					(error: Error) => ({error}),
				);
				const startedWhenSettled = started;
				// Those in flight when it failed finish; none starts after.
				while (running > 0) await new Promise(resolve => setImmediate(resolve));
				expect(most).toBeLessThanOrEqual(limit);
				if (failing) {
					expect(outcome).toEqual({error: new Error(`item ${failAt}`)});
					expect(started).toBe(startedWhenSettled);
					expect(started).toBeLessThan(delays.length + 1);
				} else {
					expect(outcome).toEqual({results: delays.map((_delay, index) => index * 2)});
				}
			}),
			{numRuns: 150},
		);
	});
});

describe('summary cache (listing only)', () => {
	it('serves an unchanged file; a file whose size, mtime or contents changed is read again', async () => {
		const dir = tempDir();
		const file = path.join(dir, 'one.zip');
		fs.copyFileSync(seeds['zip']!, file);
		const cache = new SummaryCache();
		const first = await listBackups(dir, {cache});
		expect(first[0]!.summary?.name).toBe('seed-zip');
		expect(cache.size).toBe(1);
		// A planted entry for the file as it is now is served: the file is not read again.
		const [candidate] = findBackupEntries(dir);
		cache.set(file, candidate!.stats, {format: 'zip', encrypted: false, summary: {...first[0]!.summary!, name: 'from-cache'}});
		expect((await listLocalBackup(candidate!, cache)).summary?.name).toBe('from-cache');
		// The same bytes, another mtime: read again.
		const later = new Date(Date.now() + 60_000);
		fs.utimesSync(file, later, later);
		expect((await listBackups(dir, {cache}))[0]!.summary?.name).toBe('seed-zip');
		// Replaced by garbage of the same size, its mtime put back: ctime and inode still tell.
		const stats = fs.statSync(file);
		cache.set(file, stats, {format: 'zip', encrypted: false, summary: {...first[0]!.summary!, name: 'from-cache'}});
		const replacement = path.join(dir, 'replacement.tmp');
		fs.writeFileSync(replacement, Buffer.alloc(stats.size, 7));
		fs.renameSync(replacement, file);
		fs.utimesSync(file, stats.atime, stats.mtime);
		const after = await listBackups(dir, {cache});
		expect(after[0]!.summary).toBeUndefined();
		expect(after[0]!.error).toMatch(/not a Lifeboat backup/);
		// A grown file: read again.
		fs.copyFileSync(seeds['tar.gz']!, path.join(dir, 'two.tar.gz'));
		await listBackups(dir, {cache});
		fs.appendFileSync(path.join(dir, 'two.tar.gz'), Buffer.alloc(10));
		cache.set(path.join(dir, 'two.tar.gz'), fs.statSync(seeds['tar.gz']!), {format: 'tar.gz', encrypted: false, summary: {...first[0]!.summary!, name: 'stale'}});
		expect((await listBackups(dir, {cache})).find(row => row.fileName === 'two.tar.gz')?.summary?.name).toBe('seed-tar.gz');
	});

	it('keeps no more entries than its capacity, dropping the oldest', () => {
		const cache = new SummaryCache(3);
		const stats = fs.statSync(seeds['zip']!);
		const read = {format: 'zip' as const, encrypted: false, summary: {} as never};
		for (const name of ['a', 'b', 'c', 'd']) cache.set(name, stats, read);
		expect(cache.size).toBe(3);
		expect(cache.get('a', stats)).toBeUndefined();
		expect(cache.get('d', stats)).toBe(read);
	});
});
