/**
 * The round trip of issue 8 on one materialised gateway: back up in the given formats, verify,
 * restore into empty stores (additive / replace), restore again over the result, replace over a
 * modified copy; every time, compare every cell (storage class and bytes) and every file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {expect} from 'vitest';
import type {ArchiveFormat} from '../../source/core/archive/archive-format.js';
import {createBackup} from '../../source/core/backup/create-backup.js';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {verifyBackup} from '../../source/core/backup/verify-backup.js';
import {applyRestore, planRestore, type RestoreMode, type RestoreOptions} from '../../source/core/restore/index.js';
import {createGateway, openGateway} from '../../source/core/store/gateway-store.js';
import {TABLES} from '../../source/core/store/schema.js';
import {materialise, readFiles, readTables, TEXT_MARKER_CELL, type Cell, type GatewayModel, type MaterialisedGateway} from './legal-gateway.js';

const PASSPHRASE = 'property passphrase';

export type Tables = ReturnType<typeof readTables>;
export type BackupSpec = {
	format: ArchiveFormat;
	encrypted?: boolean;
	/** Restore into a fresh empty store once per mode. */
	modes: RestoreMode[];
	/** Then restore (replace) again over the first of those: the plan must find everything identical. */
	reRestore?: boolean;
	/** Restore (replace) over an edited copy of the source: the result must be the backup exactly. */
	replaceOverModified?: boolean;
};

const textCell = (text: string): Cell => `text:${Buffer.from(text).toString('hex').toUpperCase()}`;
const RESTORE_ACTOR = textCell('lifeboat');
const RESTORE_ACTION = textCell('backup.restore');

/**
 * What the source's rows must look like after a restore: every cell exact, except `redact`
 * secrets, which come back as the marker (null stays null) unless `liveSecrets` holds the row
 * (replace keeps a live secret rather than the marker).
 */
export function expectedTables(source: Tables, liveSecrets?: Tables): Tables {
	const out: Tables = {};
	for (const table of TABLES) {
		const redacted = table.columns.filter(column => column.secret === 'redact').map(column => column.name);
		const live = new Map((liveSecrets?.[table.name] ?? []).map(row => [row['id'], row]));
		out[table.name] = source[table.name]!.map(row => {
			const copy = {...row};
			for (const column of redacted) {
				const kept = live.get(row['id']);
				copy[column] = kept ? kept[column]! : row[column] === 'null' ? 'null' : TEXT_MARKER_CELL;
			}
			return copy;
		});
	}
	return out;
}

/** A restored store's rows, without the audit entries the restores themselves appended. */
export function restoredTables(dataDir: string, source: Tables): Tables {
	const tables = readTables(dataDir);
	const sourceAudit = new Set(source['audit_log']!.map(row => row['id']));
	tables['audit_log'] = tables['audit_log']!.filter(row => sourceAudit.has(row['id']) || row['actor'] !== RESTORE_ACTOR || row['action'] !== RESTORE_ACTION);
	return tables;
}

/** A failed comparison: one line per difference (at most 8), naming table, column, id and both cells. */
export class RoundTripMismatch extends Error {}

const short = (text: string) => (text.length > 120 ? `${text.slice(0, 117)}...` : text);

/** Differences between expected and actual rows of every table, as readable lines. */
export function tableDifferences(expected: Tables, actual: Tables): string[] {
	const lines: string[] = [];
	for (const table of TABLES) {
		const want = new Map(expected[table.name]!.map(row => [row['id'], row]));
		const got = new Map(actual[table.name]!.map(row => [row['id'], row]));
		for (const [id, row] of want) {
			const other = got.get(id);
			if (!other) {
				lines.push(`${table.name} ${short(id!)}: missing after restore`);
				continue;
			}
			for (const column of Object.keys(row)) {
				if (row[column] !== other[column]) lines.push(`${table.name}.${column} of ${short(id!)}: expected ${short(row[column]!)}, got ${short(other[column]!)}`);
			}
		}
		for (const id of got.keys()) if (!want.has(id)) lines.push(`${table.name} ${short(id!)}: extra row after restore`);
	}
	return lines;
}

/** Differences between two file listings (path → sha256). */
export function fileDifferences(expected: Record<string, string>, actual: Record<string, string>): string[] {
	const lines: string[] = [];
	for (const [file, hash] of Object.entries(expected)) {
		if (!(file in actual)) lines.push(`${JSON.stringify(short(file))}: missing after restore`);
		else if (actual[file] !== hash) lines.push(`${JSON.stringify(short(file))}: different bytes after restore`);
	}
	for (const file of Object.keys(actual)) if (!(file in expected)) lines.push(`${JSON.stringify(short(file))}: extra file after restore`);
	return lines;
}

function fail(what: string, lines: string[]): void {
	if (lines.length === 0) return;
	throw new RoundTripMismatch(`${what}:\n  ${lines.slice(0, 8).join('\n  ')}${lines.length > 8 ? `\n  … ${lines.length - 8} more` : ''}`);
}

export function expectSameStore(target: string, expected: Tables, expectedFiles: Record<string, string>, source: string, what: string): void {
	fail(`${what}: rows differ`, tableDifferences(expected, restoredTables(target, expected)));
	fail(`${what}: agent and document files differ`, fileDifferences(expectedFiles, readFiles(target)));
	const settings = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'appsettings.json'), 'utf8')) as unknown;
	expect(settings(target), `${what}: appsettings.json`).toEqual(settings(source));
	const license = (dir: string) => (fs.existsSync(path.join(dir, 'license.key')) ? fs.readFileSync(path.join(dir, 'license.key')).toString('hex') : undefined);
	expect(license(target), `${what}: license.key`).toEqual(license(source));
}

/** The agent and document files a restore must bring back: all but those skipped by design. */
export function filesToRestore(gateway: MaterialisedGateway): Record<string, string> {
	const skipped = new Set(gateway.skippedAgentFiles);
	return Object.fromEntries(Object.entries(readFiles(gateway.dataDir)).filter(([file]) => !skipped.has(file)));
}

export function freshStore(dir: string): string {
	createGateway(dir).close();
	return dir;
}

/** Backs up, verifies, and restores into empty stores; returns the restored data dirs. */
async function backupAndRestore(gateway: MaterialisedGateway, work: string, spec: BackupSpec, index: number): Promise<{targets: string[]; restore: (dataDir: string, mode: RestoreMode) => Promise<void>; options: (dataDir: string, mode: RestoreMode) => Promise<RestoreOptions>}> {
	const suffix = spec.format === 'dir' ? '' : `.${spec.format}${spec.encrypted ? '.enc' : ''}`;
	const what = `${spec.format}${spec.encrypted ? ' (encrypted)' : ''}`;
	const backup = await createBackup({
		dataDir: gateway.dataDir,
		out: path.join(work, `backup-${index}${suffix}`),
		format: spec.format,
		// A JSON bundle carries the document files only when asked: the round trip asks.
		includeFiles: true,
		passphrase: spec.encrypted ? PASSPHRASE : undefined,
		kdfIterations: 1000,
	});
	const passphrase = spec.encrypted ? PASSPHRASE : undefined;
	const verified = await verifyBackup(await openBackupSource(backup.path, {passphrase}));
	fail(`${what}: verify of a backup that was just created`, verified.problems);
	expect(verified.ok, `${what}: verify`).toBe(true);
	// Agent files outside the .md/.txt/.json rule are left out by design, each with a warning naming it.
	for (const file of gateway.skippedAgentFiles) {
		const name = file.split('/').at(-1)!;
		const needles = [name, JSON.stringify(name).slice(1, -1)].map(needle => needle.slice(0, 20));
		if (!backup.metadata.warnings.some(warning => needles.some(needle => warning.includes(needle)))) fail(`${what}: backup warnings`, [`no warning names the skipped agent file ${JSON.stringify(file)}`]);
	}
	const keyFile = path.join(gateway.dataDir, 'keys', 'backup.key');
	const options = async (dataDir: string, mode: RestoreMode): Promise<RestoreOptions> => ({
		source: await openBackupSource(backup.path, {passphrase}),
		dataDir,
		mode,
		passphrase,
		keyFile: !passphrase && fs.existsSync(keyFile) ? keyFile : undefined,
	});
	const restore = async (dataDir: string, mode: RestoreMode) => {
		await applyRestore(await options(dataDir, mode));
	};
	const targets: string[] = [];
	for (const mode of spec.modes) {
		const target = freshStore(path.join(work, `restored-${index}-${mode}`));
		await restore(target, mode);
		targets.push(target);
	}
	return {targets, restore, options};
}

/** Edits a copy of the source (an update, a delete, an extra row and file) for a replace restore to undo. */
function modifyCopy(source: string, copy: string, model: GatewayModel): void {
	fs.cpSync(source, copy, {recursive: true});
	const store = openGateway(copy);
	try {
		const db = store.db;
		const filled = TABLES.filter(table => table.name !== 'tenants' && (model.rows[table.name]?.length ?? 0) > 0);
		const first = filled[0];
		if (first) db.prepare(`UPDATE ${first.name} SET updated_at = 'changed by test' WHERE rowid = (SELECT min(rowid) FROM ${first.name})`).run();
		const last = filled.at(-1);
		if (last && last !== first) {
			const row = db.prepare(`SELECT id FROM ${last.name} WHERE rowid = (SELECT max(rowid) FROM ${last.name})`).get() as {id: unknown};
			db.prepare(`DELETE FROM ${last.name} WHERE id = ?`).run(row.id);
		}
		const tenant = db.prepare(`SELECT id FROM tenants ORDER BY rowid LIMIT 1`).get() as {id: unknown};
		db.prepare(`INSERT INTO memory_daily_logs (id, tenant_id, created_at, updated_at, agent_id, day, content) VALUES (?, ?, 'x', 'x', 'x', 'extra/day', 'extra')`).run('extra row added by test', tenant.id);
		db.pragma('wal_checkpoint(TRUNCATE)');
	} finally {
		store.close();
	}
	const agentDirs = fs.readdirSync(path.join(copy, 'agents'));
	if (agentDirs[0]) fs.writeFileSync(path.join(copy, 'agents', agentDirs[0], 'EXTRA-added-by-test.md'), 'extra');
}

export type RoundTripPlan = {backups: BackupSpec[]};

/** The property itself: every backup of the gateway restores to exactly the gateway. */
export async function roundTrip(model: GatewayModel, plan: RoundTripPlan): Promise<void> {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-property-'));
	try {
		const gateway = materialise(model, path.join(work, 'source'));
		const source = readTables(gateway.dataDir);
		const expected = expectedTables(source);
		const files = filesToRestore(gateway);
		// Agent files left out of backups by design stay where they are on a replace.
		const kept = {...files, ...Object.fromEntries(Object.entries(readFiles(gateway.dataDir)).filter(([file]) => gateway.skippedAgentFiles.includes(file)))};
		let index = 0;
		for (const spec of plan.backups) {
			const what = `${spec.format}${spec.encrypted ? ' (encrypted)' : ''}`;
			const {targets, restore, options} = await backupAndRestore(gateway, work, spec, index++);
			for (const [i, target] of targets.entries()) expectSameStore(target, expected, files, gateway.dataDir, `${what} → empty store, ${spec.modes[i]}`);
			if (spec.reRestore && targets[0]) {
				// Restoring the same backup over its own result changes nothing: everything identical
				// (only the audit entries the first restore appended are not in the backup).
				const again = await planRestore(await options(targets[0], 'replace'));
				fail(
					`${what}: second restore (replace) over the restored store, plan`,
					again.categories
						.filter(category => category.new + category.conflicts + (category.category === 'audit' ? 0 : category.toDelete) > 0)
						.map(category => `${category.category}: ${category.new} new, ${category.conflicts} conflicts (${category.conflictRefs.slice(0, 3).map(ref => `${ref.table}:${JSON.stringify(short(ref.id))}`).join(', ')}), ${category.toDelete} to delete; expected all identical`),
				);
				await restore(targets[0], 'replace');
				expectSameStore(targets[0], expected, files, gateway.dataDir, `${what}: second restore (replace) over the restored store`);
			}
			if (spec.replaceOverModified) {
				// Replace over an edited copy of the source gives back exactly the backup.
				const copy = path.join(work, `modified-${index}`);
				modifyCopy(gateway.dataDir, copy, model);
				const live = readTables(copy);
				await restore(copy, 'replace');
				expectSameStore(copy, expectedTables(source, live), kept, gateway.dataDir, `${what}: replace over a modified copy of the source`);
			}
		}
	} finally {
		fs.rmSync(work, {recursive: true, force: true});
	}
}

/** The whole plan: every format, both modes into an empty store, restore twice, replace over a modified copy. */
export const EVERY_FORMAT: RoundTripPlan = {
	backups: [
		{format: 'zip', modes: ['additive'], replaceOverModified: true},
		{format: 'tar.gz', modes: ['replace'], reRestore: true},
		{format: 'dir', modes: ['additive', 'replace'], reRestore: true},
		{format: 'zip', encrypted: true, modes: ['additive'], replaceOverModified: true},
		{format: 'json', modes: ['additive'], replaceOverModified: true},
	],
};
