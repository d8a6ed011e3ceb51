/**
 * `backup diff` against hostile archives and odd-but-legal gateways, on either side: one clear
 * line and a documented exit code, nothing left behind; names, ids and paths from an archive never
 * reach the terminal raw; an archive of many unknown entries does not flood the output.
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {diffSides} from '../source/core/diff/diff-sides.js';
import {sealedDocuments, sha256, writeTarGzStreaming, writeZip, zeros} from './helpers/hostile-archives.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, copyGateway, demoGateway, editedBackup, openDb, query} from './restore-support.js';

const MiB = 1024 * 1024;

/** Raw terminal controls: C0 but newline, DEL, C1 (CSI is U+009B), bidi overrides and isolates, line separators. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/;

/** A copy of one row of `table` under another id. */
function copyRow(dataDir: string, table: string, newId: string): void {
	const db = openDb(dataDir, false);
	try {
		db.exec(`CREATE TEMP TABLE copied AS SELECT * FROM ${table} ORDER BY id LIMIT 1`);
		db.prepare('UPDATE temp.copied SET id = ?').run(newId);
		db.exec(`INSERT INTO ${table} SELECT * FROM temp.copied; DROP TABLE temp.copied`);
	} finally {
		db.close();
	}
}

describe('backup diff: nothing from an archive reaches the terminal raw', () => {
	it('escapes control characters in a backup name, ids, unknown entry paths and error messages', async () => {
		const dataDir = copyGateway(await demoGateway({seed: 5}));
		const a = await backupOf(dataDir, {format: 'zip'});
		// A legal id holding C1 CSI, DEL and a right-to-left override, only in B.
		const evil = 'tool\u009B31m\u007F\u202Eevil';
		copyRow(dataDir, 'tools', evil);
		const b = await editedBackup(dataDir, {}, dir => {
			const file = path.join(dir, 'metadata.json');
			const metadata = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
			metadata['name'] = 'night\u001B]0;owned\u0007\u001B[2J';
			fs.writeFileSync(file, JSON.stringify(metadata));
			fs.writeFileSync(path.join(dir, 'notes\u009B2J.txt'), 'hi');
		});
		const cli = runCli(['backup', 'diff', a.path, b.label, '--id', evil]);
		expect(cli.stderr).toBe('');
		expect(cli.code).toBe(0);
		expect(cli.stdout).not.toMatch(RAW_CONTROL);
		expect(cli.stdout).toContain('(night\\u{1B}]0;owned\\u{7}\\u{1B}[2J, ');
		expect(cli.stdout).toContain('  + tools "tool\\u{9B}31m\\u{7F}\\u{202E}evil"');
		expect(cli.stdout).toContain('notes\\u{9B}2J.txt: not a part of a backup this Lifeboat knows');
		expect(cli.stdout).toContain('tools "tool\\u{9B}31m\\u{7F}\\u{202E}evil" (tools): added');
		// The JSON output keeps the exact values, escaped as JSON (\u009b), never raw.
		const json = runCli(['backup', 'diff', a.path, b.label, '--json']);
		expect(json.code).toBe(0);
		expect(json.stdout).not.toMatch(RAW_CONTROL);
		const parsed = JSON.parse(json.stdout) as {b: {name: string}; categories: Array<{addedIds: {ids: Array<{id: string}>}}>};
		expect(parsed.b.name).toBe('night\u001B]0;owned\u0007\u001B[2J');
		expect(parsed.categories.flatMap(category => category.addedIds.ids.map(ref => ref.id))).toContain(evil);
		// An error naming a path of the archive (a manifest listing an entry that is not there).
		const missing = await editedBackup(dataDir, {}, () => {});
		const manifestFile = path.join(missing.label, 'manifest.json');
		const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {files: Array<{path: string; size: number; sha256: string}>};
		manifest.files.push({path: 'agents/x/\u009B2J\u001B[31m.md', size: 1, sha256: '00'.repeat(32)});
		fs.writeFileSync(manifestFile, JSON.stringify(manifest));
		const refused = runCli(['backup', 'diff', a.path, missing.label]);
		expectOneLineError(refused, 5, /agents\/x\/\\u\{9B\}2J\\u\{1B\}\[31m\.md: listed in the manifest but missing/);
		expect(refused.stderr).not.toMatch(RAW_CONTROL);
	}, 120_000);
});

describe('backup diff: hostile archives on either side', () => {
	it('names the first 50 unknown entries of an archive and counts the rest', async () => {
		const dataDir = await demoGateway({seed: 6});
		const a = await backupOf(dataDir, {format: 'zip'});
		const b = await editedBackup(dataDir, {}, dir => {
			fs.mkdirSync(path.join(dir, 'extra'));
			for (let index = 0; index < 3000; index++) fs.writeFileSync(path.join(dir, 'extra', `f${index}`), '');
		});
		const result = await diffSides({kind: 'backup', source: plainFileSource(a.path)}, {kind: 'backup', source: b});
		expect(result.warnings).toHaveLength(51);
		expect(result.warnings.at(-1)).toMatch(/: and 2,?950 more entries this Lifeboat does not know; not compared$/);
		expect(result.totals).toMatchObject({added: 0, removed: 0, changed: 0});
	}, 120_000);

	it('refuses a bomb or a traversal name as A or as B: exit 5, one line, no scratch left behind', async () => {
		const dataDir = await demoGateway({seed: 7});
		const good = await backupOf(dataDir, {format: 'dir'});
		const metadata = fs.readFileSync(path.join(good.path, 'metadata.json'));
		const dir = tempDir();
		const bomb = path.join(dir, 'bomb.tar.gz');
		const sealed = sealedDocuments(metadata, [{path: 'documents/files/doc_a.bin', size: 96 * MiB, sha256: sha256(Buffer.alloc(96 * MiB))}]);
		await writeTarGzStreaming(bomb, [
			{name: 'metadata.json', size: sealed.metadata.length, content: sealed.metadata},
			{name: 'documents/files/doc_a.bin', size: 96 * MiB, content: zeros(96 * MiB)},
		]);
		const traversal = path.join(dir, 'traversal.zip');
		const small = sealedDocuments(metadata, [{path: 'agents/a/../../../evil', size: 2, sha256: sha256(Buffer.from('hi'))}]);
		await writeZip(traversal, [
			{name: 'metadata.json', content: small.metadata},
			{name: 'agents/a/../../../evil', content: Buffer.from('hi')},
			{name: 'manifest.json', content: small.manifest},
		]);
		const scratch = tempDir();
		const env = {LIFEBOAT_TMPDIR: scratch};
		for (const [hostile, pattern] of [[bomb, /decompression bomb/], [traversal, /\.\.|unsafe|escapes/i]] as const) {
			for (const args of [[hostile, good.path], [good.path, hostile], [hostile, '--data-dir', dataDir]]) {
				const started = Date.now();
				expectOneLineError(runCli(['backup', 'diff', ...args], {env}), 5, pattern);
				expect(Date.now() - started).toBeLessThan(60_000);
				expect(fs.readdirSync(scratch)).toEqual([]);
			}
		}
	}, 300_000);
});

describe('backup diff: odd but legal comparisons', () => {
	it('a backup against itself is empty; --id found on one side only, or in several tables', async () => {
		const dataDir = copyGateway(await demoGateway({seed: 8}));
		const a = await backupOf(dataDir, {format: 'tar.gz'});
		const same = runCli(['backup', 'diff', a.path, a.path]);
		expect(same.code).toBe(0);
		expect(same.stdout).toContain('No differences.');
		// One id in two tables (ids are unique per table only), added after A.
		copyRow(dataDir, 'tools', 'shared id');
		copyRow(dataDir, 'webhooks', 'shared id');
		const result = await diffSides({kind: 'backup', source: plainFileSource(a.path)}, {kind: 'live', dataDir}, {id: 'shared id'});
		expect(result.entity!.map(entity => `${entity.table}:${entity.status}`)).toEqual(['tools:added', 'webhooks:added']);
		const reverse = await diffSides({kind: 'live', dataDir}, {kind: 'backup', source: plainFileSource(a.path)}, {id: 'shared id'});
		expect(reverse.entity!.map(entity => entity.status)).toEqual(['removed', 'removed']);
		expect(query(dataDir, `SELECT id FROM tools WHERE id = 'shared id'`)).toHaveLength(1);
	}, 120_000);
});
