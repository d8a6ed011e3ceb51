/**
 * Property: for generated legal gateways (odd ids, values, file names, dangling references), a
 * chain full → incremental → incremental through three generated states, each link in a generated
 * format (zip, tar.gz, folder), restores to exactly what
 * a full backup of the last state restores to. Each state is a whole generated gateway, so between
 * links rows and files appear, change (an id generated twice) and disappear.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {openBackupChain} from '../source/core/backup/backup-chain.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {openLocalDestination} from '../source/core/destinations/local.js';
import {applyRestore} from '../source/core/restore/index.js';
import {TABLES} from '../source/core/store/schema.js';
import {gatewayModel, materialise} from './helpers/legal-gateway.js';
import {tempDir} from './helpers/temp-dir.js';
import {freshGateway, storeDigest} from './restore-support.js';

/** What a restore leaves, minus its own audit entries, each gateway's own key and quarantines (as in incremental.test.ts). */
function restoredState(dataDir: string): ReturnType<typeof storeDigest> {
	const digest = storeDigest(dataDir);
	delete digest.tables['audit_log'];
	for (const file of Object.keys(digest.files)) if (file.startsWith('keys/') || file.startsWith('quarantine/')) delete digest.files[file];
	return digest;
}

/** Each table file (a JSONL) of a folder backup, by its path in the archive. */
function tableFiles(dir: string): Record<string, string> {
	const files: Record<string, string> = {};
	for (const table of TABLES) {
		const file = path.join(dir, ...table.archivePath.split('/'));
		if (fs.existsSync(file)) files[table.archivePath] = fs.readFileSync(file, 'utf8');
	}
	return files;
}

async function restoreInto(folder: string, object: string, onSource: (dir: string) => void = () => {}): Promise<string> {
	const dataDir = freshGateway();
	const opened = await openBackupChain({destination: openLocalDestination(folder), location: {kind: 'local', folder}, object});
	try {
		if (opened.source.format === 'dir') onSource(opened.source.dir);
		await applyRestore({source: opened.source, dataDir});
	} finally {
		await opened.close();
	}
	return dataDir;
}

/**
 * Each link's format, generated: a folder backup is read in file-name order (its index before
 * `license/` and `mcp/`), an archive in the order it was written (its index last).
 */
const FORMATS = ['zip', 'tar.gz', 'dir'] as const;

describe('incremental chains of generated legal gateways', () => {
	it('restore to what a full backup of the last state restores to', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(gatewayModel({maxRows: 3}), {minLength: 3, maxLength: 3}), fc.array(fc.constantFrom(...FORMATS), {minLength: 3, maxLength: 3}), async (models, formats) => {
				const work = tempDir('lifeboat-incr-prop-');
				const dest = path.join(work, 'dest');
				const destination = openLocalDestination(dest);
				// One gateway (one data folder: --since-last builds on its own gateway's backups) in each state in turn.
				const dataDir = path.join(work, 'gateway');
				let clock = Date.parse('2026-11-01T00:00:00Z');
				for (const [index, model] of models.entries()) {
					fs.rmSync(dataDir, {recursive: true, force: true});
					materialise(model, dataDir);
					await createBackup({dataDir, destDir: dest, name: `link-${index}`, format: formats[index], now: new Date((clock += 3_600_000)), ...(index > 0 ? {incremental: {destination, sinceLast: true}} : {})});
				}
				await createBackup({dataDir, destDir: path.join(work, 'reference'), name: 'reference', format: 'dir'});
				let merged: Record<string, string> = {};
				const viaChain = await restoreInto(dest, `link-2${formats[2] === 'dir' ? '' : `.${formats[2]}`}`, dir => (merged = tableFiles(dir)));
				const viaFull = await restoreInto(path.join(work, 'reference'), 'reference');
				expect(restoredState(viaChain)).toEqual(restoredState(viaFull));
				// The merged chain holds each table (but the daily logs, dumped by day) as a full backup
				// of the last state does, line for line: in id order, whichever link held a row.
				const reference = tableFiles(path.join(work, 'reference', 'reference'));
				expect(Object.keys(merged).length).toBeGreaterThan(0);
				for (const table of TABLES.filter(spec => spec.orderBy === undefined)) expect(merged[table.archivePath] ?? '', table.archivePath).toBe(reference[table.archivePath] ?? '');
				fs.rmSync(work, {recursive: true, force: true});
			}),
			// No shrinking: each run is three backups and two restores; a failure reports its seed (replay: LIFEBOAT_PROPERTY_SEED).
			{numRuns: Math.max(1, Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 8)), seed: process.env['LIFEBOAT_PROPERTY_SEED'] === undefined ? undefined : Number(process.env['LIFEBOAT_PROPERTY_SEED']), endOnFailure: true},
		);
	}, 600_000);
});
