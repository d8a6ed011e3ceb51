/**
 * Incremental backups (issue 12 §1): a full backup and three incrementals with inserts, updates,
 * deletes and file changes between them restore, as a chain found at the destination, to exactly
 * what a full backup made at the last incremental restores to (which the round-trip tests prove
 * equal to the live store, redactions aside); into a fresh gateway and into the live one
 * (additive, replace). A missing middle link fails restore and verify naming it.
 */
import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {resolveTarget} from '../source/core/destinations/open-destination.js';
import {runDrill} from '../source/core/drill/run-drill.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {startS3Server, type S3Server} from './servers/s3-server.js';
import {openBackupChain} from '../source/core/backup/backup-chain.js';
import {createBackup, type CreateBackupOptions} from '../source/core/backup/create-backup.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {openLocalDestination} from '../source/core/destinations/local.js';
import {applyPrune, planPrune} from '../source/core/retention/prune-destination.js';
import {LifeboatError} from '../source/core/errors.js';
import type {Destination} from '../source/core/destinations/destination.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {tempDir} from './helpers/temp-dir.js';
import {encryptWithoutGateway, encryptWithoutTenantId} from './helpers/legacy-encrypted.js';
import {openArchive, plainFileSource, readAll} from '../source/core/archive/archive-reader.js';
import {TABLES} from '../source/core/store/schema.js';
import {copyGateway, demoGateway, exec, freshGateway, query, storeDigest} from './restore-support.js';

const PASSPHRASE = 'incremental chains keep one passphrase';

export type Chain = {live: string; dest: string; names: string[]; reference: string; atFull: string};

/** What a restore leaves, minus what differs by design: its own audit entries, each gateway's own key, quarantines. */
export function restoredState(dataDir: string): ReturnType<typeof storeDigest> {
	const digest = storeDigest(dataDir);
	delete digest.tables['audit_log'];
	for (const file of Object.keys(digest.files)) if (file.startsWith('keys/') || file.startsWith('quarantine/')) delete digest.files[file];
	return digest;
}

/** Edits between the links: inserts, updates, deletes, file changes (an entry added then deleted, one changed twice). */
export const EDITS: Array<(dataDir: string) => void> = [
	dataDir => {
		const tool = query<{id: string}>(dataDir, 'SELECT id FROM tools ORDER BY id LIMIT 1')[0]!;
		exec(dataDir, `INSERT INTO tools SELECT 'tool_incr_tmp', tenant_id, created_at, updated_at, name || ' copy', description, kind, input_schema FROM tools WHERE id = ?`, tool.id);
		const memory = query<{id: string}>(dataDir, 'SELECT id FROM memory_entries ORDER BY id LIMIT 1')[0]!;
		exec(dataDir, `UPDATE memory_entries SET content = 'changed once' WHERE id = ?`, memory.id);
		exec(dataDir, `DELETE FROM webhooks WHERE id = (SELECT id FROM webhooks ORDER BY id LIMIT 1)`);
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!;
		fs.appendFileSync(path.join(dataDir, 'agents', agent.id, 'SOUL.md'), '\nA new line of soul.\n');
		fs.writeFileSync(path.join(dataDir, 'agents', agent.id, 'NOTES.md'), 'new notes\n');
	},
	dataDir => {
		exec(dataDir, `DELETE FROM tools WHERE id = 'tool_incr_tmp'`);
		exec(dataDir, `UPDATE memory_entries SET content = 'changed twice' WHERE id = (SELECT id FROM memory_entries ORDER BY id LIMIT 1)`);
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!;
		fs.rmSync(path.join(dataDir, 'agents', agent.id, 'NOTES.md'));
		const columns = query<{name: string}>(dataDir, `PRAGMA table_info(memory_entries)`).map(column => column.name);
		const values = columns.map(name => (name === 'id' ? `id || '_new'` : name === 'content' ? `'inserted in link 2'` : name));
		exec(dataDir, `INSERT INTO memory_entries (${columns.join(', ')}) SELECT ${values.join(', ')} FROM memory_entries ORDER BY id LIMIT 5`);
	},
	dataDir => {
		exec(dataDir, `UPDATE users SET display_name = 'Renamed' WHERE id = (SELECT id FROM users ORDER BY id LIMIT 1)`);
		const document = query<{id: string; ext: string}>(dataDir, `SELECT id, ext FROM documents ORDER BY id LIMIT 1`)[0]!;
		const file = path.join(dataDir, 'documents', 'files', `${document.id}.${document.ext}`);
		fs.appendFileSync(file, Buffer.from([0, 1, 2, 3]));
		exec(dataDir, `DELETE FROM memory_entries WHERE id IN (SELECT id FROM memory_entries WHERE id NOT LIKE '%_new' ORDER BY id DESC LIMIT 3)`);
	},
];

/** Full + 3 incrementals of a demo gateway at `destination` (names returned full first), plus a full reference backup made with the last one. */
export async function buildChain(destination: Destination, dest: string, extra: Partial<CreateBackupOptions> = {}): Promise<Chain> {
	const live = await demoGateway({seed: 31});
	const names: string[] = [];
	let clock = Date.parse('2026-11-01T03:00:00Z');
	const at = () => new Date((clock += 86_400_000));
	const local = destination.kind === 'local';
	const target = (name: string): Partial<CreateBackupOptions> => (local ? {destDir: dest, name} : {remote: {destination}, name});
	names.push((await createBackup({dataDir: live, ...target('link-0'), now: at(), ...extra})).name);
	const atFull = copyGateway(live);
	for (const [index, edit] of EDITS.entries()) {
		edit(live);
		const result = await createBackup({dataDir: live, ...target(`link-${index + 1}`), now: at(), incremental: {destination, sinceLast: true}, ...extra});
		expect(result.metadata.incremental?.base.name).toBe(names.at(-1));
		expect(result.metadata.incremental?.full.name).toBe('link-0');
		names.push(result.name);
	}
	const referenceDir = tempDir('lifeboat-incr-ref-');
	const reference = (await createBackup({dataDir: live, destDir: referenceDir, name: 'reference', now: at(), ...extra})).path;
	return {live, dest, names, reference, atFull};
}

async function restoreChain(destination: Destination, object: string, dataDir: string, mode: 'additive' | 'replace' = 'additive', passphrase?: string) {
	const opened = await openBackupChain({destination, location: {kind: 'local', folder: destination.label}, object}, {passphrase});
	try {
		return await applyRestore({source: opened.source, dataDir, mode, passphrase});
	} finally {
		await opened.close();
	}
}

describe('incremental backups on a local folder', () => {
	it('a merged chain holds each table as a full backup of the last state does, line for line, in id order (the daily logs, dumped by day, aside)', async () => {
		const dest = tempDir('lifeboat-incr-dest-');
		const destination = openLocalDestination(dest);
		const chain = await buildChain(destination, dest);
		const reference: Record<string, string> = {};
		for await (const entry of openArchive(plainFileSource(chain.reference)).entries()) {
			if (TABLES.some(table => table.archivePath === entry.path)) reference[entry.path] = (await readAll(entry, 1 << 30)).toString('utf8');
		}
		const opened = await openBackupChain({destination, location: {kind: 'local', folder: dest}, object: `${chain.names.at(-1)}.zip`});
		try {
			expect(opened.source.format).toBe('dir');
			const dir = (opened.source as {dir: string}).dir;
			const compared = TABLES.filter(table => table.orderBy === undefined && reference[table.archivePath] !== undefined);
			expect(compared.filter(table => reference[table.archivePath]!.split('\n').length > 3).length).toBeGreaterThan(5);
			for (const table of compared) expect(fs.readFileSync(path.join(dir, ...table.archivePath.split('/')), 'utf8'), table.archivePath).toBe(reference[table.archivePath]);
		} finally {
			await opened.close();
		}
	});

	it('a full + 3 incrementals restore to what a full backup of the last state restores to: fresh, additive over live, replace over the old state', async () => {
		const dest = tempDir('lifeboat-incr-dest-');
		const destination = openLocalDestination(dest);
		const chain = await buildChain(destination, dest);
		const last = `${chain.names.at(-1)}.zip`;

		const expected = freshGateway();
		await applyRestore({source: (await openBackupChain({destination: openLocalDestination(path.dirname(chain.reference)), location: {kind: 'local', folder: path.dirname(chain.reference)}, object: 'reference.zip'})).source, dataDir: expected});
		const fresh = freshGateway();
		const result = await restoreChain(destination, last, fresh);
		expect(restoredState(fresh)).toEqual(restoredState(expected));
		// The chain plans as one: the tool added in link 1 and deleted in link 2 is not there at all.
		expect(query(fresh, `SELECT id FROM tools WHERE id = 'tool_incr_tmp'`)).toEqual([]);
		expect(query<{content: string}>(fresh, 'SELECT content FROM memory_entries ORDER BY id LIMIT 1')[0]!.content).toBe('changed twice');
		expect(result.applied.conflicts).toBe(0);

		// Into the live store it came from: everything identical.
		const plan = await (async () => {
			const opened = await openBackupChain({destination, location: {kind: 'local', folder: dest}, object: last});
			try {
				return await planRestore({source: opened.source, dataDir: chain.live});
			} finally {
				await opened.close();
			}
		})();
		expect(plan.totals.new).toBe(0);
		expect(plan.totals.conflicts).toBe(0);

		// Replace over the state at the full backup: equal to a replace with the reference full backup.
		const viaReference = copyGateway(chain.atFull);
		await applyRestore({source: (await openBackupChain({destination: openLocalDestination(path.dirname(chain.reference)), location: {kind: 'local', folder: path.dirname(chain.reference)}, object: 'reference.zip'})).source, dataDir: viaReference, mode: 'replace'});
		const viaChain = copyGateway(chain.atFull);
		const replaced = await restoreChain(destination, last, viaChain, 'replace');
		expect(replaced.applied.deleted).toBeGreaterThan(0);
		expect(restoredState(viaChain)).toEqual(restoredState(viaReference));
	}, 120_000);

	it('an incremental whose base is removed while it is written (a prune running meanwhile) fails and removes itself; a prune that removes a base under a new incremental fails naming it', async () => {
		const dest = tempDir('lifeboat-incr-race-');
		const destination = openLocalDestination(dest);
		const live = await demoGateway({seed: 36, tenants: 1});
		const scope = {categories: ['agents' as const, 'memory' as const]};
		await createBackup({dataDir: live, destDir: dest, name: 'f1', now: new Date('2026-11-01T00:00:00Z'), ...scope});
		// The base goes while the archive is being written: as a concurrent prune would delete it.
		let removed = false;
		const onProgress = (progress: {phase: string}) => {
			if (progress.phase !== 'finalize' || removed) return;
			fs.rmSync(path.join(dest, 'f1.zip'));
			removed = true;
		};
		await expect(createBackup({dataDir: live, destDir: dest, name: 'i1', now: new Date('2026-11-02T00:00:00Z'), incremental: {destination, sinceLast: true}, onProgress, ...scope})).rejects.toThrow(
			/i1\.zip: the backup f1 its chain needs was removed from .* while this incremental was written .*; it could not be restored and was deleted again: run it again$/,
		);
		expect(removed).toBe(true);
		expect(fs.readdirSync(dest)).toEqual([]);
		// A prune planned before an incremental was written deletes its base: the prune fails naming it.
		await createBackup({dataDir: live, destDir: dest, name: 'f2', now: new Date('2026-11-03T00:00:00Z'), ...scope});
		await createBackup({dataDir: live, destDir: dest, name: 'f3', now: new Date('2026-11-04T00:00:00Z'), ...scope});
		const planned = await planPrune(destination, {last: 1});
		expect(planned.plan.removalOrder).toEqual(['f2.zip']);
		await createBackup({dataDir: live, destDir: dest, name: 'i2', now: new Date('2026-11-05T00:00:00Z'), incremental: {destination, base: 'f2'}, ...scope});
		const stranded = await applyPrune(destination, planned).catch((error: LifeboatError) => error);
		expect(stranded).toBeInstanceOf(LifeboatError);
		expect((stranded as LifeboatError).message).toMatch(/i2\.zip was written while this prune ran, on f2, which the prune deleted \(1 backup deleted\): its chain is broken and it cannot be restored; delete it and make a full backup$/);
		// What it deleted before it found that is said (the --json answer, a schedule's record).
		expect((stranded as LifeboatError).done).toMatchObject({deleted: [{fileName: 'f2.zip'}], kept: 1});
		// Without a new incremental on what it deletes, the same prune succeeds.
		await createBackup({dataDir: live, destDir: dest, name: 'f4', now: new Date('2026-11-06T00:00:00Z'), ...scope});
		fs.rmSync(path.join(dest, 'i2.zip'));
		const again = await applyPrune(destination, await planPrune(destination, {last: 1}));
		expect(again.deleted.map(entry => entry.fileName)).toEqual(['f3.zip']);
		expect(fs.readdirSync(dest)).toEqual(['f4.zip']);
	}, 120_000);

	it('an incremental is small: it carries only what changed, and its tombstones', async () => {
		const dest = tempDir('lifeboat-incr-size-');
		const destination = openLocalDestination(dest);
		const live = await demoGateway({seed: 32});
		const full = await createBackup({dataDir: live, destDir: dest, name: 'full', now: new Date('2026-11-01T00:00:00Z')});
		exec(live, `UPDATE memory_entries SET content = 'one change' WHERE id = (SELECT id FROM memory_entries ORDER BY id LIMIT 1)`);
		const incremental = await createBackup({dataDir: live, destDir: dest, name: 'incr', now: new Date('2026-11-02T00:00:00Z'), incremental: {destination, sinceLast: true}});
		expect(incremental.metadata.counts['memory']!.tables['memory_entries']).toBe(1);
		expect(incremental.size).toBeLessThan(full.size * 0.5);
		const unchanged = await createBackup({dataDir: live, destDir: dest, name: 'incr2', now: new Date('2026-11-03T00:00:00Z'), incremental: {destination, sinceLast: true}});
		expect(unchanged.metadata.incremental?.changed).toEqual({rows: 0, files: 0});
		expect(unchanged.metadata.incremental?.deleted).toEqual({rows: {}, files: 0});
		expect(incremental.metadata.incremental?.changed).toEqual({rows: 1, files: 0});
		expect(unchanged.metadata.incremental).toMatchObject({base: {name: 'incr'}, full: {name: 'full'}});
		// A document rewritten with the same size and its old mtime put back is still seen (its ctime moved).
		const document = query<{id: string; ext: string}>(live, 'SELECT id, ext FROM documents ORDER BY id LIMIT 1')[0]!;
		const file = path.join(live, 'documents', 'files', `${document.id}.${document.ext}`);
		const before = fs.statSync(file);
		const bytes = fs.readFileSync(file);
		bytes[0] = bytes[0]! ^ 0xff;
		fs.writeFileSync(file, bytes);
		fs.utimesSync(file, before.atime, before.mtime);
		const sneaky = await createBackup({dataDir: live, destDir: dest, name: 'incr3', now: new Date('2026-11-04T00:00:00Z'), incremental: {destination, sinceLast: true}});
		expect(sneaky.metadata.incremental?.changed).toEqual({rows: 0, files: 1});
	}, 60_000);

	it('removing the middle incremental makes restore and verify fail naming it', async () => {
		const dest = tempDir('lifeboat-incr-broken-');
		const destination = openLocalDestination(dest);
		const chain = await buildChain(destination, dest);
		fs.rmSync(path.join(dest, `${chain.names[2]}.zip`));
		const ref = {destination, location: {kind: 'local' as const, folder: dest}, object: `${chain.names[3]}.zip`};
		await expect(openBackupChain(ref)).rejects.toMatchObject({code: 'corrupt-archive', message: expect.stringContaining(`is an incremental of ${chain.names[2]}`)});
		// The full backup and the first incremental still verify on their own.
		const first = await openBackupChain({...ref, object: `${chain.names[1]}.zip`});
		expect((await verifyBackup(first.source)).ok).toBe(true);
		await first.close();
	}, 120_000);

	it('a folder chain whose license and MCP files changed verifies and restores them (a folder is read in name order: its index before license/ and mcp/)', async () => {
		const live = await demoGateway({seed: 32});
		const dest = tempDir('lifeboat-incr-dir-');
		const destination = openLocalDestination(dest);
		await createBackup({dataDir: live, destDir: dest, name: 'full', format: 'dir', now: new Date('2026-11-01T03:00:00Z')});
		fs.writeFileSync(path.join(live, 'license.key'), 'LICENSE-v2\n');
		fs.writeFileSync(path.join(live, 'mcp.json'), '{"mcpServers": {"files": {"command": "mcp-files"}}}\n');
		const result = await createBackup({dataDir: live, destDir: dest, name: 'next', format: 'dir', now: new Date('2026-11-02T03:00:00Z'), incremental: {destination, sinceLast: true}});
		expect(result.metadata.incremental?.base.name).toBe('full');
		const opened = await openBackupChain({destination, location: {kind: 'local', folder: dest}, object: 'next'});
		try {
			expect((await verifyBackup(opened.source)).ok).toBe(true);
			const fresh = freshGateway();
			await applyRestore({source: opened.source, dataDir: fresh});
			expect(fs.readFileSync(path.join(fresh, 'license.key'), 'utf8')).toBe('LICENSE-v2\n');
			expect(fs.readFileSync(path.join(fresh, 'mcp.json'), 'utf8')).toBe('{"mcpServers": {"files": {"command": "mcp-files"}}}\n');
		} finally {
			await opened.close();
		}
	}, 120_000);
});

describe('incremental backups on S3 (s3rver), encrypted', () => {
	let server: S3Server;
	beforeAll(async () => {
		server = await startS3Server({buckets: ['incr']});
	});
	afterAll(async () => server?.stop());

	it('a full + 3 encrypted incrementals restore from the bucket like a full of the last state; a missing middle link fails restore and the drill naming it', async () => {
		const url = `s3://incr/gw-${crypto.randomBytes(3).toString('hex')}/`;
		const target = await resolveTarget(url, {env: server.env});
		const {destination} = target;
		try {
			const secret = {passphrase: PASSPHRASE, kdfIterations: 1000};
			const chain = await buildChain(destination, url, secret);
			const last = `${chain.names.at(-1)}.zip.enc`;
			const ref = {destination, location: target.location, object: last};
			// An incremental of an encrypted chain without a passphrase is refused, naming why.
			await expect(createBackup({dataDir: chain.live, remote: {destination}, name: 'plain', incremental: {destination, sinceLast: true}})).rejects.toThrow(/must be encrypted too, with the same passphrase/);

			const expected = freshGateway();
			const reference = await openBackupChain({destination: openLocalDestination(path.dirname(chain.reference)), location: {kind: 'local', folder: path.dirname(chain.reference)}, object: path.basename(chain.reference)}, {passphrase: PASSPHRASE});
			await applyRestore({source: reference.source, dataDir: expected, passphrase: PASSPHRASE});
			const opened = await openBackupChain(ref, {passphrase: PASSPHRASE});
			expect(opened.chain?.map(link => link.name)).toEqual(chain.names);
			const fresh = freshGateway();
			try {
				await applyRestore({source: opened.source, dataDir: fresh, passphrase: PASSPHRASE});
			} finally {
				await opened.close();
			}
			expect(restoredState(fresh)).toEqual(restoredState(expected));
			// The merged view's scratch folder is gone once closed.
			expect(fs.existsSync(path.dirname((opened.source as {dir: string}).dir))).toBe(false);

			// The drill restores the chain and passes; with the middle link gone, verify fails naming it.
			const drill = (live?: string) => runDrill({source: opened.source, openChain: () => openBackupChain(ref, {passphrase: PASSPHRASE}), location: `${url}${last}`, passphrase: PASSPHRASE, liveDataDir: live});
			const good = await drill(chain.live);
			expect(good.ok).toBe(true);
			expect(good.checks.find(check => check.id === 'verify')?.detail).toContain(`chain of 4 (${chain.names.join(' → ')})`);
			await destination.delete(`${chain.names[2]}.zip.enc`);
			await expect(openBackupChain(ref, {passphrase: PASSPHRASE})).rejects.toMatchObject({code: 'corrupt-archive', message: expect.stringContaining(`is an incremental of ${chain.names[2]}`)});
			const broken = await drill();
			expect(broken.ok).toBe(false);
			expect(broken.failed).toBe('verify');
			expect(broken.checks.find(check => check.id === 'verify')?.detail).toContain(chain.names[2]);
		} finally {
			await destination.close();
		}
	}, 240_000);
});

describe('incremental backups through the CLI', () => {
	it('two gateways writing to one destination: --since-last builds on its own gateway\'s backups and prune judges each gateway apart', async () => {
		const dest = tempDir('lifeboat-two-gateways-');
		const gatewayA = await demoGateway({seed: 35, tenants: 1});
		const gatewayB = copyGateway(gatewayA);
		const create = (live: string, ...extra: string[]) => runCli(['backup', 'create', '--data-dir', live, '--dest', dest, '--categories', 'agents', '--json', ...extra]);
		expect(create(gatewayA, '--name', 'a-1').code).toBe(0);
		// B has no backup of its own yet: A's is not its base.
		expectOneLineError(runCli(['backup', 'create', '--data-dir', gatewayB, '--dest', dest, '--categories', 'agents', '--incremental', '--since-last']), 2, /--since-last: no earlier backup of this scope \(every tenant, 1 categories\)/);
		expect(create(gatewayB, '--name', 'b-1').code).toBe(0);
		expect(create(gatewayA, '--name', 'a-2').code).toBe(0);
		expect(create(gatewayA, '--name', 'a-3').code).toBe(0);
		// B's incremental is made on b-1, though a-3 is newer and of the same scope.
		const incremental = create(gatewayB, '--incremental', '--since-last', '--name', 'b-2');
		expect(incremental.code).toBe(0);
		expect((JSON.parse(incremental.stdout) as {metadata: {incremental: {base: {name: string}}}}).metadata.incremental.base.name).toBe('b-1');
		const listed = JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json']).stdout) as {backups: Array<{name: string; gateway: string}>};
		const gatewayOf = new Map(listed.backups.map(backup => [backup.name, backup.gateway]));
		expect(gatewayOf.get('a-1')).toMatch(/^[0-9a-f]{16}$/);
		expect(new Set(['a-1', 'a-2', 'a-3'].map(name => gatewayOf.get(name))).size).toBe(1);
		expect(gatewayOf.get('b-1')).toBe(gatewayOf.get('b-2'));
		expect(gatewayOf.get('b-1')).not.toBe(gatewayOf.get('a-1'));
		// --keep-last 1 keeps each gateway's newest (and b-2's chain): only A's older backups go.
		const pruned = runCli(['backup', 'prune', '--dest', dest, '--keep-last', '1', '--yes', '--json']);
		expect(pruned.code).toBe(0);
		expect(fs.readdirSync(dest).sort()).toEqual(['a-3.zip', 'b-1.zip', 'b-2.zip']);
		// A gateway named through a symbolic link is the same gateway (its real folder).
		const link = path.join(tempDir('lifeboat-two-gateways-link-'), 'gateway-a');
		fs.symlinkSync(gatewayA, link);
		const viaLink = create(link, '--incremental', '--since-last', '--name', 'a-4');
		expect(viaLink.code, viaLink.stderr).toBe(0);
		expect((JSON.parse(viaLink.stdout) as {metadata: {incremental: {base: {name: string}}}}).metadata.incremental.base.name).toBe('a-3');
		// Only another gateway's backups of the scope: the refusal says they are there.
		const gatewayC = copyGateway(gatewayA);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', gatewayC, '--dest', dest, '--categories', 'agents', '--incremental', '--since-last']), 2, /--since-last: no earlier backup of this scope \(every tenant, 1 categories\) at \S+ \(4 backups of this scope there were made by another gateway: another host name or data folder\); make a full backup first/);
		// --force over the base the incremental would be built on: refused before anything is written.
		const before = fs.readFileSync(path.join(dest, 'a-4.zip'));
		expectOneLineError(create(gatewayA, '--incremental', '--since-last', '--name', 'a-4', '--force'), 2, /--force would replace \S+a-4\.zip, which this incremental is built on \(its base\); give the new backup another name$/);
		expectOneLineError(create(gatewayA, '--incremental', '--since-last', '--name', 'a-3', '--force'), 2, /--force would replace \S+a-3\.zip, which this incremental is built on \(a link of its chain\)/);
		expect(fs.readFileSync(path.join(dest, 'a-4.zip')).equals(before)).toBe(true);
		expect(fs.readdirSync(dest).sort()).toEqual(['a-3.zip', 'a-4.zip', 'b-1.zip', 'b-2.zip']);
	}, 120_000);

	it('backup delete refuses the base of an incremental (exit 2, naming it; nothing deleted) unless --force', async () => {
		const dest = tempDir('lifeboat-delete-base-');
		const live = await demoGateway({seed: 38, tenants: 1});
		const create = (...extra: string[]) => expect(runCli(['backup', 'create', '--data-dir', live, '--dest', dest, '--categories', 'agents', ...extra]).code).toBe(0);
		create('--name', 'base');
		create('--incremental', '--since-last', '--name', 'next');
		create('--incremental', '--since-last', '--name', 'last');
		const remove = (name: string, ...extra: string[]) => runCli(['backup', 'delete', path.join(dest, `${name}.zip`), '--yes', ...extra]);
		expectOneLineError(remove('base'), 2, /^lifeboat: \S+base\.zip is the base of an incremental backup \(next\.zip\): deleting it would break its chain and it could not be restored; delete it first \(newest first\), or, from the CLI, pass --force to delete it anyway$/);
		expectOneLineError(remove('next'), 2, /next\.zip is the base of an incremental backup \(last\.zip\)/);
		expect(fs.readdirSync(dest).sort()).toEqual(['base.zip', 'last.zip', 'next.zip']);
		// A cut-short copy (same id in its first bytes) does not serve the chain; a whole copy does: the original may go.
		fs.writeFileSync(path.join(dest, 'base-cut.zip'), fs.readFileSync(path.join(dest, 'base.zip')).subarray(0, fs.statSync(path.join(dest, 'base.zip')).size - 100));
		expectOneLineError(remove('base'), 2, /base\.zip is the base of an incremental backup \(next\.zip\)/);
		fs.rmSync(path.join(dest, 'base-cut.zip'));
		fs.copyFileSync(path.join(dest, 'base.zip'), path.join(dest, 'base-copy.zip'));
		expect(remove('base').code).toBe(0);
		expect(remove('next', '--force').code).toBe(0);
		expect(remove('last').code).toBe(0);
		expect(fs.readdirSync(dest).sort()).toEqual(['base-copy.zip']);
		// A backup there that cannot be read may be an incremental built on it: refused; a file that is plainly no backup is not counted.
		fs.writeFileSync(path.join(dest, 'photos.zip'), 'not a backup');
		fs.writeFileSync(path.join(dest, 'odd.zip'), fs.readFileSync(path.join(dest, 'base-copy.zip')).subarray(0, 300));
		expectOneLineError(remove('base-copy'), 2, /base-copy\.zip may be the base of a backup there that cannot be read \(odd\.zip\): it may be an incremental built on it; delete or repair that one first, or, from the CLI, pass --force to delete it anyway$/);
		fs.rmSync(path.join(dest, 'odd.zip'));
		expect(remove('base-copy').code).toBe(0);
		expect(fs.readdirSync(dest).sort()).toEqual(['photos.zip']);
	}, 120_000);

	it('--since-last passes over an older encrypted header of another gateway (no gateway in its summary) for its own newest backup', async () => {
		const dest = tempDir('lifeboat-two-gateways-legacy-');
		const passphraseFile = path.join(tempDir('lifeboat-two-gateways-pp-'), 'passphrase');
		fs.writeFileSync(passphraseFile, PASSPHRASE, {mode: 0o600});
		const gatewayA = await demoGateway({seed: 37, tenants: 1});
		const gatewayB = copyGateway(gatewayA);
		const plain = (live: string, name: string) => expect(runCli(['backup', 'create', '--data-dir', live, '--dest', dest, '--categories', 'agents', '--name', name]).code).toBe(0);
		plain(gatewayA, 'a-old');
		await encryptWithoutGateway(path.join(dest, 'a-old.zip'), path.join(dest, 'a-old.zip.enc'), PASSPHRASE);
		fs.rmSync(path.join(dest, 'a-old.zip'));
		plain(gatewayB, 'b-old');
		await encryptWithoutGateway(path.join(dest, 'b-old.zip'), path.join(dest, 'b-old.zip.enc'), PASSPHRASE);
		fs.rmSync(path.join(dest, 'b-old.zip'));
		const listed = JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json']).stdout) as {backups: Array<{name: string; gateway?: string}>};
		expect(listed.backups.map(backup => [backup.name, backup.gateway])).toEqual([['b-old', undefined], ['a-old', undefined]]);
		const incremental = runCli(['backup', 'create', '--data-dir', gatewayA, '--dest', dest, '--categories', 'agents', '--incremental', '--since-last', '--passphrase-file', passphraseFile, '--name', 'a-incr', '--json']);
		expect(incremental.code, incremental.stderr).toBe(0);
		expect((JSON.parse(incremental.stdout) as {metadata: {incremental: {base: {name: string}}}}).metadata.incremental.base.name).toBe('a-old');
	}, 120_000);

	it('--since-last and --base follow the tenant by id: a tenant given a renamed tenant\'s old slug does not build on its backups; the renamed one still does', async () => {
		const dest = tempDir('lifeboat-incr-slug-');
		const live = await demoGateway({seed: 34, tenants: 2});
		const [first, second] = query<{id: string; slug: string}>(live, 'SELECT id, slug FROM tenants ORDER BY slug') as [{id: string; slug: string}, {id: string; slug: string}];
		const create = (...extra: string[]) => runCli(['backup', 'create', '--data-dir', live, '--dest', dest, '--categories', 'agents', ...extra]);
		expect(create('--tenant', first.slug, '--name', 'first-full').code).toBe(0);
		// The first tenant is renamed; the second takes its old slug.
		exec(live, 'UPDATE tenants SET slug = ? WHERE id = ?', `${first.slug}-renamed`, first.id);
		exec(live, 'UPDATE tenants SET slug = ? WHERE id = ?', first.slug, second.id);
		const sinceLast = create('--tenant', first.slug, '--incremental', '--since-last');
		expectOneLineError(sinceLast, 2, new RegExp(`--since-last: no earlier backup of this scope \\(tenant ${first.slug}, 1 categories\\)`));
		const base = create('--tenant', first.slug, '--incremental', '--base', 'first-full');
		expectOneLineError(base, 2, /--base first-full: that backup holds tenant .* not this backup's scope/);
		expect(create('--tenant', first.id, '--incremental', '--since-last', '--name', 'first-incr').code).toBe(0);
		// The list says whose each backup is by id as well as by the slug it had.
		const listed = JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json']).stdout) as {backups: Array<{name: string; tenant: string; tenantId: string}>};
		expect(listed.backups.map(backup => [backup.name, backup.tenant, backup.tenantId]).sort()).toEqual([['first-full', first.slug, first.id], ['first-incr', `${first.slug}-renamed`, first.id]]);
		// An encrypted base whose header predates tenant ids is found by slug, then refused by its metadata's tenant id.
		const legacy = tempDir('lifeboat-incr-legacy-');
		const passphraseFile = path.join(legacy, 'passphrase');
		fs.writeFileSync(passphraseFile, PASSPHRASE, {mode: 0o600});
		exec(live, 'UPDATE tenants SET slug = ? WHERE id = ?', `${first.slug}-x`, second.id);
		exec(live, 'UPDATE tenants SET slug = ? WHERE id = ?', first.slug, first.id);
		expect(runCli(['backup', 'create', '--data-dir', live, '--dest', legacy, '--categories', 'agents', '--tenant', first.id, '--name', 'plain']).code).toBe(0);
		await encryptWithoutTenantId(path.join(legacy, 'plain.zip'), path.join(legacy, 'old.zip.enc'), PASSPHRASE);
		fs.rmSync(path.join(legacy, 'plain.zip'));
		exec(live, 'UPDATE tenants SET slug = ? WHERE id = ?', `${first.slug}-renamed`, first.id);
		exec(live, 'UPDATE tenants SET slug = ? WHERE id = ?', first.slug, second.id);
		const onLegacy = runCli(['backup', 'create', '--data-dir', live, '--dest', legacy, '--categories', 'agents', '--tenant', first.slug, '--incremental', '--since-last', '--passphrase-file', passphraseFile]);
		expectOneLineError(onLegacy, 2, new RegExp(`--since-last: old\\.zip\\.enc holds tenant ${first.slug} \\(${first.id}\\), not this backup's \\(tenant ${first.slug} \\(${second.id}\\)\\)`));
	});

	it('create --incremental, list shows the base, restore --dry-run and verify name the chain, diff compares chains; a missing link is exit 5', async () => {
		const dest = tempDir('lifeboat-incr-cli-');
		const live = await demoGateway({seed: 33});
		const create = (...extra: string[]) => runCli(['backup', 'create', '--data-dir', live, '--dest', dest, '--json', ...extra]);
		expect(create('--name', 'full').code).toBe(0);
		expect(runCli(['backup', 'create', '--data-dir', live, '--dest', dest, '--since-last']).stderr).toMatch(/--since-last chooses the base of an incremental backup: add --incremental/);
		EDITS[0]!(live);
		const first = create('--name', 'incr-1', '--incremental');
		expect(first.code).toBe(0);
		EDITS[1]!(live);
		const second = runCli(['backup', 'create', '--data-dir', live, '--dest', dest, '--name', 'incr-2', '--incremental', '--base', 'incr-1']);
		expect(second.code).toBe(0);
		expect(second.stdout).toMatch(/incremental of incr-1 \(chain from full\): 6 rows, 0 files new or changed; 1 row, 1 file deleted/);
		const list = runCli(['backup', 'list', '--dest', dest]);
		expect(list.stdout).toMatch(/incr-2\.zip .* incremental of incr-1/);
		expect(list.stdout).toMatch(/full\.zip .* full ·/);
		const dry = runCli(['backup', 'restore', '--in', path.join(dest, 'incr-2.zip'), '--data-dir', live, '--dry-run']);
		expect(dry.code).toBe(0);
		expect(dry.stdout).toContain('Chain: full → incr-1 → incr-2 (3 backups');
		expect(dry.stdout).toMatch(/Total: 0 new, [\d,]+ identical, 0 conflicts/);
		// A chain's merged state (plaintext for an encrypted chain) left by a killed run is swept by
		// the next read of a chain; a running process's is not; verify leaves none of its own.
		const tmp = tempDir('lifeboat-incr-tmp-');
		const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
		// Private, as makePidScratch makes them (a folder anyone else could have made is never swept).
		for (const pid of [dead, String(process.pid)]) fs.mkdirSync(path.join(tmp, `lifeboat-chain-${pid}-abcdef`), {mode: 0o700});
		const verified = runCli(['backup', 'verify', path.join(dest, 'incr-2.zip')], {env: {LIFEBOAT_TMPDIR: tmp}});
		expect(verified.stdout).toContain('full → incr-1 → incr-2');
		expect(fs.readdirSync(tmp)).toEqual([`lifeboat-chain-${process.pid}-abcdef`]);
		// diff across chains: the chain's final state against the live store it was made from is empty.
		const diff = runCli(['backup', 'diff', path.join(dest, 'incr-2.zip'), '--data-dir', live, '--json']);
		expect(diff.code).toBe(0);
		const totals = (JSON.parse(diff.stdout) as {totals: {added: number; removed: number; changed: number}}).totals;
		expect(totals).toMatchObject({added: 0, removed: 0, changed: 0});
		const againstFull = JSON.parse(runCli(['backup', 'diff', path.join(dest, 'full.zip'), path.join(dest, 'incr-2.zip'), '--json']).stdout) as {totals: {added: number; removed: number; changed: number}};
		// link 1 deleted a webhook; link 2 added 5 memory entries; the tool added and removed is no change.
		expect(againstFull.totals.added).toBe(5);
		expect(againstFull.totals.removed).toBe(1);
		fs.rmSync(path.join(dest, 'incr-1.zip'));
		for (const args of [['backup', 'restore', '--in', path.join(dest, 'incr-2.zip'), '--data-dir', live, '--dry-run'], ['backup', 'verify', path.join(dest, 'incr-2.zip')]]) {
			const result = runCli(args);
			expectOneLineError(result, 5, /Broken backup chain: incr-2 is an incremental of incr-1 .*which is not at/);
		}
		// An incremental on that broken chain could never be restored: refused, nothing written.
		const before = fs.readdirSync(dest).sort();
		const onBroken = runCli(['backup', 'create', '--data-dir', live, '--dest', dest, '--incremental', '--since-last']);
		expectOneLineError(onBroken, 5, /Broken backup chain: incr-2 is an incremental of incr-1 .*; an incremental on incr-2 could not be restored either: make a full backup \(without --incremental\)$/);
		expect(fs.readdirSync(dest).sort()).toEqual(before);
	}, 120_000);
});
