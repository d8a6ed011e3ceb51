import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {LifeboatError} from '../source/core/errors.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {backupOf, copyGateway, demoGateway, exec, flipByteInLargestEntry, query, storeDigest} from './restore-support.js';

/**
 * A restore plans and applies in one pass: a problem the pass finds only at its end (here the
 * inbound cross-tenant check) comes after rows were written and conflicts quarantined in staging.
 * It must leave the store as it was, and nothing behind: no staging, no open file.
 */

/** Files under `dir` this process holds open (Linux). */
function openFilesUnder(dir: string): string[] {
	return fs.readdirSync('/proc/self/fd').flatMap(fd => {
		try {
			const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
			return target.startsWith(dir) ? [target] : [];
		} catch {
			return [];
		}
	});
}

describe('a restore refused at the end of its one pass', () => {
	it('leaves the store unchanged, no staging and no open quarantine file (additive, with conflicts)', async () => {
		const original = await demoGateway({tenants: 2, seed: 94});
		const [a, b] = query<{id: string}>(original, 'SELECT id FROM tenants ORDER BY id').map(row => row.id);
		const {source} = await backupOf(original, {format: 'zip', tenant: a});
		const dataDir = copyGateway(original);
		// Conflicts: quarantined as the pass goes.
		exec(dataDir, `UPDATE memory_entries SET content = content || ' (edited)' WHERE tenant_id = ?`, a);
		// A live row of tenant B pointing at an agent the backup brings for tenant A: refused at the end.
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? LIMIT 1', a)[0]!.id;
		const bAgent = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? LIMIT 1', b)[0]!.id;
		exec(dataDir, `UPDATE memory_entries SET agent_id = ? WHERE id = (SELECT id FROM memory_entries WHERE tenant_id = ? AND agent_id = ? LIMIT 1)`, agent, b, bAgent);
		const before = storeDigest(dataDir);
		for (let attempt = 0; attempt < 3; attempt++) {
			const error = await applyRestore({source, dataDir, mode: 'additive'}).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(LifeboatError);
			expect((error as LifeboatError).code).toBe('conflict');
			expect((error as Error).message).toMatch(/cross-tenant reference\); nothing was restored$/);
		}
		expect(openFilesUnder(dataDir)).toEqual([]);
		expect(storeDigest(dataDir)).toEqual(before);
		const staging = path.join(dataDir, '.lifeboat-restore');
		expect(fs.existsSync(staging) ? fs.readdirSync(staging) : []).toEqual([]);
		expect(fs.existsSync(path.join(dataDir, 'quarantine'))).toBe(false);
	});
});

describe('a dry run whose verify fails while its plan pass reads beside it', () => {
	it('fails with verify\'s problem, as verify-then-plan did, and leaves no reader open (damaged zip and tar.gz)', async () => {
		const original = await demoGateway({tenants: 1, seed: 95});
		const dataDir = copyGateway(original);
		const zip = await backupOf(original, {format: 'zip'});
		const damagedZip = `${zip.path}.damaged.zip`;
		fs.writeFileSync(damagedZip, flipByteInLargestEntry(fs.readFileSync(zip.path)));
		const tar = await backupOf(original, {format: 'tar.gz'});
		const damagedTar = `${tar.path}.damaged.tar.gz`;
		const bytes = fs.readFileSync(tar.path);
		bytes[Math.floor(bytes.length / 3)]! ^= 0x40;
		fs.writeFileSync(damagedTar, bytes);
		for (const file of [damagedZip, damagedTar]) {
			for (const mode of ['additive', 'replace'] as const) {
				const error = await planRestore({source: plainFileSource(file), dataDir, mode}).catch((caught: unknown) => caught);
				expect(error).toBeInstanceOf(LifeboatError);
				expect((error as LifeboatError).code).toBe('corrupt-archive');
				expect((error as Error).message).toMatch(/; nothing was restored$/);
				// The plan pass beside verify stops at its next entry boundary, just after the error
				// is returned: wait for its reader to close (a leak would never close).
				await until(() => openFilesUnder(path.dirname(file)).length === 0 && openFilesUnder(dataDir).length === 0);
				expect(openFilesUnder(path.dirname(file))).toEqual([]);
				expect(openFilesUnder(dataDir)).toEqual([]);
			}
		}
	});
});

/** Resolves once `condition` holds (checked every 10 ms), or gives up after 30 s so the assertion after it reports. */
async function until(condition: () => boolean): Promise<void> {
	for (const started = Date.now(); !condition() && Date.now() - started < 30_000; ) await new Promise(resolve => setTimeout(resolve, 10));
}

describe('a restore of a backup damaged outside the categories it restores', () => {
	it('is refused by verify before any write (additive with conflicts, overwrite, replace), though the pass would not read the damaged entry', async () => {
		const original = await demoGateway({tenants: 1, seed: 96});
		const dir = (await backupOf(original, {format: 'dir'})).path;
		fs.appendFileSync(path.join(dir, 'agents', 'agents.jsonl'), '\n');
		const dataDir = copyGateway(original);
		exec(dataDir, `UPDATE memory_entries SET content = content || ' (edited)'`);
		exec(dataDir, `DELETE FROM memory_entries WHERE id IN (SELECT id FROM memory_entries ORDER BY id LIMIT 3)`);
		const before = storeDigest(dataDir);
		for (const mode of ['additive', 'overwrite', 'replace'] as const) {
			const error = await applyRestore({source: plainFileSource(dir), dataDir, mode, only: ['memory']}).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(LifeboatError);
			expect((error as LifeboatError).code).toBe('corrupt-archive');
			expect((error as Error).message).toMatch(/^agents\/agents\.jsonl: .*(size|checksum).*; nothing was restored$/);
			expect(storeDigest(dataDir)).toEqual(before);
			const staging = path.join(dataDir, '.lifeboat-restore');
			expect(fs.existsSync(staging) ? fs.readdirSync(staging) : []).toEqual([]);
			expect(fs.existsSync(path.join(dataDir, 'quarantine'))).toBe(false);
			expect(openFilesUnder(dataDir)).toEqual([]);
		}
		// The same backup, undamaged, restores those rows.
		const whole = (await backupOf(original, {format: 'dir'})).path;
		const restored = await applyRestore({source: plainFileSource(whole), dataDir, mode: 'replace', only: ['memory']});
		expect(restored.applied.conflicts + restored.applied.new).toBeGreaterThan(3);
		expect(query(dataDir, 'SELECT * FROM memory_entries ORDER BY id')).toEqual(query(original, 'SELECT * FROM memory_entries ORDER BY id'));
	});
});

describe('verify leaves the entries a restore restores to its pass', () => {
	it('damage in a restored entry is still named as damage (a checksum mismatch), not by the row it broke; plan and apply, zip and folder', async () => {
		const original = await demoGateway({tenants: 1, seed: 97});
		const dir = (await backupOf(original, {format: 'dir'})).path;
		const file = path.join(dir, 'memory', 'entries.jsonl');
		const text = fs.readFileSync(file, 'utf8');
		// Same size, the last row's JSON broken: the pass writes every row before it (undone), then
		// meets a row it cannot parse, before any checksum.
		const at = text.lastIndexOf('\n{') + 1;
		fs.writeFileSync(file, `${text.slice(0, at)}[${text.slice(at + 1)}`);
		const zip = (await backupOf(original, {format: 'zip'})).path;
		const damagedZip = `${zip}.damaged.zip`;
		fs.writeFileSync(damagedZip, flipByteInLargestEntry(fs.readFileSync(zip)));
		const dataDir = copyGateway(original);
		const before = storeDigest(dataDir);
		for (const [source, message] of [[dir, /^memory\/entries\.jsonl: checksum mismatch \(file is corrupted\); nothing was restored$/], [damagedZip, /^documents\/files\/\S+: checksum mismatch \(file is corrupted\); nothing was restored$/]] as const) {
			for (const run of [() => planRestore({source: plainFileSource(source), dataDir}), () => applyRestore({source: plainFileSource(source), dataDir, mode: 'replace'})]) {
				const error = await run().catch((caught: unknown) => caught);
				expect(error).toBeInstanceOf(LifeboatError);
				expect((error as LifeboatError).code).toBe('corrupt-archive');
				expect((error as Error).message).toMatch(message);
				expect((error as Error).message).not.toMatch(/line \d+/);
			}
		}
		expect(storeDigest(dataDir)).toEqual(before);
	});
});
