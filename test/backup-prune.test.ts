/**
 * backup prune on real backups: real archives (createBackup with a fixed clock) in a local folder
 * and on S3 (s3rver), listed before and after; the CLI's dry run, refusal without --yes, text and
 * JSON; deletion order of real (folder-format) chains through a destination that records its
 * deletes. Expected sets written by hand from the rules:
 * backups at 03:00 UTC on 2026-11-20 … 2026-11-30, plus 2026-11-29 21:00, 2026-10-31 03:00 and
 * 2025-12-31 03:00. --keep-daily 3 --keep-monthly 3 keeps the 30th, the 29th's 21:00, the 28th
 * (daily), 2026-10-31 (monthly 2026-10) and 2025-12-31 (monthly 2025-12): 5 of 14.
 */
import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {listDestination} from '../source/core/backup/list-backups.js';
import {resolveTarget} from '../source/core/destinations/open-destination.js';
import type {Destination} from '../source/core/destinations/destination.js';
import {pruneDestination} from '../source/core/retention/index.js';
import {LifeboatError} from '../source/core/errors.js';
import {demoGateway} from './restore-support.js';
import {tempDir} from './helpers/temp-dir.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {canDropPrivileges, runAsUser} from './helpers/as-user.js';
import {runCliAsync} from './destinations/remote-roundtrip.js';
import {startS3Server, type S3Server} from './servers/s3-server.js';
import {wrapDestination} from './destinations/wrap-destination.js';

const MOMENTS = [...Array.from({length: 11}, (_, index) => `2026-11-${20 + index}T03:00:00Z`), '2026-11-29T21:00:00Z', '2026-10-31T03:00:00Z', '2025-12-31T03:00:00Z'];
const fileOf = (iso: string) => `lifeboat-backup-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 16).replace(':', '')}00.zip`;
const KEPT = ['2026-11-30T03:00:00Z', '2026-11-29T21:00:00Z', '2026-11-28T03:00:00Z', '2026-10-31T03:00:00Z', '2025-12-31T03:00:00Z'].map(fileOf).sort();

let gateway: string;
let template: string;
let s3: S3Server;

beforeAll(async () => {
	[gateway, s3] = await Promise.all([demoGateway({tenants: 1, seed: 5}), startS3Server({buckets: ['prune']})]);
	template = tempDir('lifeboat-prune-template-');
	for (const moment of MOMENTS) await createBackup({dataDir: gateway, destDir: template, now: new Date(moment)});
}, 120_000);
afterAll(async () => s3?.stop());

function freshCopy(): string {
	const dir = tempDir('lifeboat-prune-');
	for (const name of fs.readdirSync(template)) fs.copyFileSync(path.join(template, name), path.join(dir, name));
	return dir;
}

async function names(destination: Destination): Promise<string[]> {
	return (await listDestination(destination)).map(listing => listing.fileName).sort();
}

test('the template holds the 14 backups, named by their moment', () => {
	expect(fs.readdirSync(template).sort()).toEqual(MOMENTS.map(fileOf).sort());
});

describe('local folder', () => {
	test('pruneDestination deletes exactly what the rules remove; a dry run deletes nothing; again removes nothing', async () => {
		const dir = freshCopy();
		const {destination} = await resolveTarget(dir);
		const dry = await pruneDestination(destination, {daily: 3, monthly: 3}, {dryRun: true});
		expect(dry.plan.remove).toBe(9);
		expect(dry.deleted).toEqual([]);
		expect(await names(destination)).toHaveLength(14);
		const progress: string[] = [];
		const result = await pruneDestination(destination, {daily: 3, monthly: 3}, {onProgress: event => progress.push(event.phase)});
		expect(result.deleted.map(entry => entry.fileName).sort()).toEqual(MOMENTS.map(fileOf).filter(name => !KEPT.includes(name)).sort());
		expect(result.freedBytes).toBe(result.deleted.reduce((sum, entry) => sum + entry.size, 0));
		expect(progress.slice(0, 2)).toEqual(['listing', 'planned']);
		expect(progress.filter(phase => phase === 'deleted')).toHaveLength(9);
		expect(await names(destination)).toEqual(KEPT);
		expect((await pruneDestination(destination, {daily: 3, monthly: 3})).deleted).toEqual([]);
	});

	test('a symbolic link to a backup is not listed, so it never keeps a backup in its place (nor is counted twice)', async () => {
		const dir = freshCopy();
		const newest = fileOf('2026-11-30T03:00:00Z');
		// Named to sort after the real file: counted as a backup, it would take the real one's place among the kept.
		fs.symlinkSync(newest, path.join(dir, 'zz-newest.zip'));
		const {destination} = await resolveTarget(dir);
		expect(await names(destination)).toHaveLength(14);
		const result = await pruneDestination(destination, {last: 1});
		expect(result.deleted).toHaveLength(13);
		expect(fs.readdirSync(dir).sort()).toEqual([newest, 'zz-newest.zip'].sort());
		expect(fs.statSync(path.join(dir, 'zz-newest.zip')).isFile()).toBe(true);
	});

	/** Folder-format backups whose metadata.json says full / incremental: full on the 1st, incrementals 2–4; full on the 5th, incrementals 6–7. */
	async function chainFolder(): Promise<string> {
		const dir = tempDir('lifeboat-prune-chain-');
		const made = await createBackup({dataDir: gateway, destDir: tempDir('lifeboat-prune-src-'), format: 'dir', now: new Date('2026-11-01T03:00:00Z')});
		const ref = (of: number) => ({id: `id-${of}`, name: `chain-${String(of).padStart(2, '0')}`, createdAt: `2026-11-${String(of).padStart(2, '0')}T03:00:00.000Z`});
		for (const [day, base, full] of [[1, null, 1], [2, 1, 1], [3, 2, 1], [4, 3, 1], [5, null, 5], [6, 5, 5], [7, 6, 5]] as const) {
			const target = path.join(dir, ref(day).name);
			fs.cpSync(made.path, target, {recursive: true});
			const metadata = JSON.parse(fs.readFileSync(path.join(target, 'metadata.json'), 'utf8'));
			Object.assign(metadata, {id: ref(day).id, name: ref(day).name, createdAt: ref(day).createdAt}, base === null ? {} : {incremental: {base: ref(base), full: ref(full)}});
			fs.writeFileSync(path.join(target, 'metadata.json'), JSON.stringify(metadata));
		}
		return dir;
	}

	test('chains of real folder backups: incrementals are deleted before the backups they are based on', async () => {
		const dir = await chainFolder();
		const {destination} = await resolveTarget(dir);
		const deletes: string[] = [];
		const recording = {...wrapDestination(destination, {}), delete: async (name: string, options?: {signal?: AbortSignal}) => (deletes.push(name), destination.delete(name, options))};
		// --keep-last 1 keeps the 7th, which needs 6 and 5; the 1st–4th chain goes, newest first.
		const result = await pruneDestination(recording, {last: 1});
		expect(deletes).toEqual(['chain-04', 'chain-03', 'chain-02', 'chain-01']);
		expect(result.plan.decisions.filter(decision => decision.keep).map(decision => [decision.fileName, decision.reasons])).toEqual([
			['chain-07', ['last 1']],
			['chain-06', ["needed by chain-07's chain"]],
			['chain-05', ["needed by chain-07's chain"]],
		]);
		expect(fs.readdirSync(dir).sort()).toEqual(['chain-05', 'chain-06', 'chain-07']);
	});

	test('interrupted after the first deletion: exit-130 error, what is left is whole chains, pruning again finishes', async () => {
		const dir = await chainFolder();
		const {destination} = await resolveTarget(dir);
		const controller = new AbortController();
		const run = pruneDestination(destination, {last: 1}, {signal: controller.signal, onProgress: event => event.phase === 'deleted' && controller.abort(new LifeboatError('interrupted', 'Interrupted by SIGINT; nothing partial was left behind'))});
		await expect(run).rejects.toMatchObject({code: 'interrupted', exitCode: 130, message: 'Interrupted by SIGINT: prune stopped after deleting 1 of 4 backups; every kept chain is whole', done: {deleted: [{fileName: 'chain-04', location: path.join(dir, 'chain-04')}], kept: 6}});
		expect((await run.catch((error: LifeboatError) => error.done))?.['freedBytes']).toBeGreaterThan(0);
		expect(fs.readdirSync(dir).sort()).toEqual(['chain-01', 'chain-02', 'chain-03', 'chain-05', 'chain-06', 'chain-07']);
		const again = await pruneDestination(destination, {last: 1});
		expect(again.deleted.map(entry => entry.fileName)).toEqual(['chain-03', 'chain-02', 'chain-01']);
	});
	test.skipIf(!canDropPrivileges || process.getuid?.() !== 0)('CLI: a deletion failing part-way (a folder backup the user cannot empty) exits 4, and --json says which backups were deleted before it', async () => {
		const dir = await chainFolder();
		fs.chmodSync(dir, 0o755);
		expect(spawnSync('chown', ['-R', '65534:65534', dir]).status).toBe(0);
		// chain-04 goes first (newest of its chain), then chain-03, whose folder only root can empty.
		expect(spawnSync('chown', ['0:0', path.join(dir, 'chain-03')]).status).toBe(0);
		fs.chmodSync(path.join(dir, 'chain-03'), 0o755);
		const result = runAsUser(['backup', 'prune', '--dest', dir, '--keep-last', '1', '--yes', '--json']);
		expect(result.code).toBe(4);
		const answer = JSON.parse(result.stdout);
		expect(answer).toMatchObject({ok: false, error: {code: 'destination'}, deleted: [{fileName: 'chain-04', location: path.join(dir, 'chain-04')}], kept: 6});
		expect(answer.deleted).toHaveLength(1);
		expect(answer.error.message).toMatch(/\(prune stopped: 1 of 4 backups deleted before it; every kept chain is whole\)$/);
		expect(answer.freedBytes).toBe(answer.deleted[0].size);
		expect(answer.freedBytes).toBeGreaterThan(0);
		expect(fs.existsSync(path.join(dir, 'chain-04'))).toBe(false);
	}, 60_000);
});

describe('CLI', () => {
	test('dry run lists each backup with keep/remove and why; nothing is deleted', () => {
		const dir = freshCopy();
		const result = runCli(['backup', 'prune', '--dest', dir, '--keep-daily', '3', '--keep-monthly', '3', '--dry-run']);
		expect(result.code).toBe(0);
		const lines = result.stdout.trim().split('\n');
		expect(lines[0]).toBe(`Retention at ${dir}: 3 daily, 3 monthly; restic forget rules, periods in UTC`);
		expect(lines[1]).toBe('all tenants · all categories: 14 backups, keep 5, remove 9');
		expect(lines[2]).toMatch(/^ {2}keep {4}lifeboat-backup-20261130-030000\.zip +2026-11-30 03:00 {2}full {2}daily 2026-11-30, monthly 2026-11$/);
		expect(lines[3]).toMatch(/^ {2}keep {4}lifeboat-backup-20261129-210000\.zip +2026-11-29 21:00 {2}full {2}daily 2026-11-29$/);
		expect(lines[4]).toMatch(/^ {2}remove {2}lifeboat-backup-20261129-030000\.zip +2026-11-29 03:00 {2}full$/);
		expect(lines.at(-2)).toMatch(/^ {2}keep {4}lifeboat-backup-20251231-030000\.zip +2025-12-31 03:00 {2}full {2}monthly 2025-12$/);
		expect(lines.at(-1)).toMatch(/^Dry run: would remove 9 backups \(.+\) and keep 5; nothing was deleted\.$/);
		expect(fs.readdirSync(dir)).toHaveLength(14);
	});

	test('without --yes it refuses (exit 2) and deletes nothing; with --yes it deletes; defaults when no --keep flag', () => {
		const dir = freshCopy();
		expectOneLineError(runCli(['backup', 'prune', '--dest', dir, '--keep-daily', '3']), 2, /^lifeboat: Pruning deletes 11 backups at .+ and cannot be undone: pass --yes to confirm, or --dry-run to see which$/);
		expect(fs.readdirSync(dir)).toHaveLength(14);
		// Default 7 daily + 4 weekly + 12 monthly: daily 30…24 (the 29th: its 21:00); weekly W49 → 30th, W48 → 29th 21:00,
		// W47 (16–22) → 22nd, then W44 → 2026-10-31 (no backup in W45/W46); monthly 2026-11, 2026-10, 2025-12.
		// Removed: the 29th's 03:00, the 23rd, 21st and 20th.
		const yes = runCli(['backup', 'prune', '--dest', dir, '--yes']);
		expect(yes.code).toBe(0);
		expect(yes.stdout.split('\n')[0]).toBe(`Retention at ${dir}: 7 daily, 4 weekly, 12 monthly (the default); restic forget rules, periods in UTC`);
		expect(yes.stdout).toMatch(/\nRemoved 4 backups \(.+\); kept 10\.\n$/);
		expect(fs.readdirSync(dir).sort()).toEqual(MOMENTS.map(fileOf).filter(name => !['20261129-030000', '20261123-', '20261121-', '20261120-'].some(part => name.includes(part))).sort());
		expect(runCli(['backup', 'prune', '--dest', dir, '--yes']).stdout).toMatch(/\nNothing to remove: all 10 backups are kept\.\n$/);
	});

	test('--json: every backup with action and reasons; usage errors exit 2', () => {
		const dir = freshCopy();
		const result = runCli(['backup', 'prune', '--dest', dir, '--keep-last', '2', '--keep-within', '1d', '--yes', '--json']);
		expect(result.code).toBe(0);
		const json = JSON.parse(result.stdout);
		expect(json).toMatchObject({ok: true, destination: dir, dryRun: false, semantics: 'restic forget; periods in UTC; ISO weeks', policy: {last: 2, within: '1d'}, kept: 2, removed: 12, wouldRemove: 12, groups: [{label: 'all tenants · all categories', backups: 14, keep: 2, remove: 12}]});
		expect(json.backups.slice(0, 3).map((entry: {fileName: string; action: string; reasons: string[]}) => [entry.fileName, entry.action, entry.reasons])).toEqual([
			[fileOf('2026-11-30T03:00:00Z'), 'keep', ['within 1d', 'last 1']],
			[fileOf('2026-11-29T21:00:00Z'), 'keep', ['within 1d', 'last 2']],
			[fileOf('2026-11-29T03:00:00Z'), 'remove', []],
		]);
		expect(json.deleted).toHaveLength(12);
		expect(fs.readdirSync(dir)).toHaveLength(2);
		expectOneLineError(runCli(['backup', 'prune', '--dest', dir, '--keep-daily', 'seven']), 2, /--keep-daily "seven" is not a count/);
		expectOneLineError(runCli(['backup', 'prune', '--dest', dir, '--keep-within', '30 days']), 2, /--keep-within "30 days" is not a duration/);
		expectOneLineError(runCli(['backup', 'prune', '--keep-daily', '3']), 2, /Prune where\? Pass --dest/);
		expectOneLineError(runCli(['backup', 'prune', '--dest', dir, '--keep-dayly', '3']), 2, /did you mean --keep-daily\?/);
		const missing = runCli(['backup', 'prune', '--dest', path.join(dir, fileOf('2026-11-30T03:00:00Z')), '--json']);
		expect(missing.code).toBe(4);
		expect(JSON.parse(missing.stdout)).toMatchObject({ok: false, error: {code: 'destination'}});
	});
});

describe('S3', () => {
	test('the CLI prunes an S3 prefix: listings before and after', async () => {
		const url = `s3://prune/gw-${crypto.randomBytes(3).toString('hex')}/`;
		const env = {...process.env, ...s3.env};
		const {destination} = await resolveTarget(url, {env});
		try {
			for (const name of fs.readdirSync(template)) await destination.put(name, fs.createReadStream(path.join(template, name)));
			expect(await names(destination)).toEqual(MOMENTS.map(fileOf).sort());
			const dry = await runCliAsync(['backup', 'prune', '--dest', url, '--keep-daily', '3', '--keep-monthly', '3', '--dry-run', '--json'], s3.env);
			expect(dry.code).toBe(0);
			expect(JSON.parse(dry.stdout)).toMatchObject({ok: true, dryRun: true, kept: 5, wouldRemove: 9, removed: 0, deleted: []});
			expect(await names(destination)).toHaveLength(14);
			const run = await runCliAsync(['backup', 'prune', '--dest', url, '--keep-daily', '3', '--keep-monthly', '3', '--yes', '--json'], s3.env);
			expect(run.code).toBe(0);
			const json = JSON.parse(run.stdout);
			expect(json.deleted.map((entry: {location: string}) => entry.location).sort()).toEqual(MOMENTS.map(fileOf).filter(name => !KEPT.includes(name)).map(name => `${url}${name}`).sort());
			expect(await names(destination)).toEqual(KEPT);
		} finally {
			await destination.close();
		}
	}, 120_000);
});
