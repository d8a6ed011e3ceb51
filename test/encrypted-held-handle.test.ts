import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it, vi} from 'vitest';
import {openArchive} from '../source/core/archive/archive-reader.js';
import {openBackupSource} from '../source/core/backup/backup-source.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {planRestore} from '../source/core/restore/index.js';
import {tempDir} from './helpers/temp-dir.js';
import {demoGateway, freshGateway, openDb} from './restore-support.js';

/**
 * An encrypted local backup is read through one file handle held while range streams read it:
 * whatever stops the reading (the end, a reader that breaks off half-way), the handle is closed,
 * so a long-lived process (the console, serve) never piles up descriptors or keeps a pruned
 * backup's disk space.
 */
const PASSPHRASE = 'correct horse battery staple';

function openHandles(file: string): string[] {
	return fs.readdirSync('/proc/self/fd').filter(fd => {
		try {
			return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
		} catch {
			return false;
		}
	});
}

async function encryptedBackup(dataDir: string): Promise<string> {
	const out = path.join(tempDir('lifeboat-held-'), 'backup.zip');
	return fs.realpathSync((await createBackup({dataDir, out, format: 'zip', passphrase: PASSPHRASE})).path);
}

describe('the held handle of an encrypted local backup', () => {
	it('an entry stream stopped half-read leaves no handle open', async () => {
		const dataDir = freshGateway();
		const db = openDb(dataDir, false);
		db.prepare(`INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'Tenant One', 'one', 'free')`).run();
		db.prepare(`INSERT INTO documents VALUES ('d1', 't1', 'c', 'u', 'name', 'application/octet-stream', 'bin', 1, 'sha', NULL, 1, 'hint')`).run();
		db.close();
		// Incompressible 8 MiB: many segments, many runs.
		fs.mkdirSync(path.join(dataDir, 'documents', 'files'), {recursive: true});
		fs.writeFileSync(path.join(dataDir, 'documents', 'files', 'd1.bin'), crypto.randomBytes(8 * 1024 * 1024));
		const file = await encryptedBackup(dataDir);
		let chunks = 0;
		for await (const entry of openArchive(await openBackupSource(file, {passphrase: PASSPHRASE})).entries()) {
			if (entry.path !== 'documents/files/d1.bin') continue;
			for await (const chunk of entry.open()) {
				expect((chunk as Buffer).length).toBeGreaterThan(0);
				if (++chunks === 2) break;
			}
		}
		expect(chunks).toBe(2);
		await vi.waitFor(() => expect(openHandles(file)).toEqual([]), {timeout: 10_000, interval: 20});
	});

	it('listing its entries, verify and a dry run leave no handle open', async () => {
		const dataDir = await demoGateway({tenants: 2, seed: 51});
		const file = await encryptedBackup(dataDir);
		const source = await openBackupSource(file, {passphrase: PASSPHRASE});
		let entries = 0;
		for await (const entry of openArchive(source).entries()) if (entry.path) entries++;
		expect(entries).toBeGreaterThan(10);
		expect((await verifyBackup(source)).ok).toBe(true);
		const plan = await planRestore({source, dataDir: freshGateway()});
		expect(plan.totals.new).toBeGreaterThan(0);
		await vi.waitFor(() => expect(openHandles(file)).toEqual([]), {timeout: 10_000, interval: 20});
	});
});
