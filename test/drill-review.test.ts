/**
 * Review of `lifeboat drill` (issue 11): operator mistakes and kills, through the built CLI
 * (dist/cli.js) on a real demo gateway and real archives.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {beforeAll, describe, expect, it} from 'vitest';
import type {ArchiveSource} from '../source/core/archive/archive-reader.js';
import {runDrill, type DrillOptions, type DrillReport} from '../source/core/drill/index.js';
import {backupOf, copyGateway, demoGateway, editedBackup, freshGateway, query, readJsonl, sha256, walkFiles, writeJsonl} from './restore-support.js';
import {CLI, expectOneLineError, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

let live: string;
let zip: string;

function envFor(): {env: NodeJS.ProcessEnv; config: string; tmp: string} {
	const config = path.join(tempDir('lifeboat-drillrev-cfg-'), 'config');
	const tmp = tempDir('lifeboat-drillrev-tmp-');
	return {config, tmp, env: {LIFEBOAT_CONFIG_DIR: config, TMPDIR: tmp, LIFEBOAT_DATA_DIR: '', LIFEBOAT_BACKUP_DIR: path.join(tmp, 'none')}};
}

function digests(dir: string): Record<string, string> {
	return Object.fromEntries(walkFiles(dir).filter(file => !/gateway\.db-(wal|shm)$/.test(file)).map(file => [file, sha256(path.join(dir, ...file.split('/')))]));
}

beforeAll(async () => {
	live = await demoGateway();
	zip = path.join(tempDir('lifeboat-drillrev-bk-'), 'b.zip');
	expect(runCli(['backup', 'create', '--data-dir', live, '--out', zip]).code).toBe(0);
}, 120_000);

describe('drill --report', () => {
	it('a report path inside the live data dir (directly or through a link) is refused before the drill: exit 2, live byte for byte unchanged, no history', () => {
		const {env, config} = envFor();
		const before = digests(live);
		const link = path.join(tempDir(), 'into-live');
		fs.symlinkSync(live, link);
		for (const report of [path.join(live, 'appsettings.Production'), path.join(live, 'data', 'gateway.db.json'), path.join(link, 'agents', 'r.json'), path.join(live, 'new-folder', 'r')]) {
			expectOneLineError(runCli(['drill', '--in', zip, '--data-dir', live, '--report', report], {env}), 2, /inside the live data directory/);
		}
		expect(digests(live)).toEqual(before);
		expect(fs.existsSync(path.join(live, 'new-folder'))).toBe(false);
		expect(fs.existsSync(path.join(config, 'drills.jsonl'))).toBe(false);
	}, 60_000);

	it('a report path naming a folder is refused before the drill (exit 2, one line), never an internal error after it', () => {
		const {env, config} = envFor();
		const folder = path.join(tempDir(), 'reports.json');
		fs.mkdirSync(folder);
		expectOneLineError(runCli(['drill', '--in', zip, '--report', folder], {env}), 2, /is a folder/);
		const md = path.join(tempDir(), 'r');
		fs.mkdirSync(`${md}.md`);
		expectOneLineError(runCli(['drill', '--in', zip, '--report', md], {env}), 2, /r\.md is a folder/);
		expect(fs.existsSync(path.join(config, 'drills.jsonl'))).toBe(false);
	}, 60_000);
});

/** Waits for the condition `stderr` reaches (never a fixed time). */
function waitForStderr(child: ReturnType<typeof spawn>, pattern: RegExp): Promise<void> {
	return new Promise((resolve, reject) => {
		let text = '';
		child.stderr!.on('data', (chunk: Buffer) => {
			text += chunk.toString();
			if (pattern.test(text)) resolve();
		});
		child.on('exit', code => reject(new Error(`exited ${code} before ${pattern}: ${text}`)));
	});
}

function scratchFolders(tmp: string): string[] {
	return fs.readdirSync(tmp).filter(name => name.startsWith('lifeboat-drill-'));
}

describe('drill scratch folders', () => {
	it("a drill killed with SIGKILL leaves its scratch folder; the next drill removes it, never a running drill's", async () => {
		const {env, tmp} = envFor();
		const start = () => spawn(process.execPath, [CLI, 'drill', '--in', zip], {env: {...process.env, ...env, LIFEBOAT_TEST_HOOK: 'pause-after-rows:50'}, stdio: ['ignore', 'pipe', 'pipe']});
		const killed = start();
		await waitForStderr(killed, /LIFEBOAT_TEST_PAUSED/);
		const left = scratchFolders(tmp);
		expect(left).toHaveLength(1);
		killed.kill('SIGKILL');
		await new Promise(resolve => killed.once('exit', resolve));
		expect(scratchFolders(tmp)).toEqual(left);
		// A drill paused mid-restore (alive): its scratch folder must survive the next drill.
		const running = start();
		await waitForStderr(running, /LIFEBOAT_TEST_PAUSED/);
		const runningScratch = scratchFolders(tmp).filter(name => !left.includes(name));
		expect(runningScratch).toHaveLength(1);
		try {
			const result = runCli(['drill', '--in', zip], {env});
			expect(result.code).toBe(0);
			expect(scratchFolders(tmp)).toEqual(runningScratch);
		} finally {
			running.kill('SIGKILL');
			await new Promise(resolve => running.once('exit', resolve));
		}
	}, 120_000);
});

/** A drill in its own scratch parent, which must be empty afterwards. */
async function engineDrill(source: ArchiveSource, options: Partial<DrillOptions> = {}): Promise<DrillReport> {
	const scratchParent = tempDir('lifeboat-drillrev-scratch-');
	try {
		return await runDrill({source, location: source.label, scratchParent, ...options});
	} finally {
		expect(fs.readdirSync(scratchParent)).toEqual([]);
	}
}

function failure(report: DrillReport): string {
	const failed = report.checks.find(check => check.status === 'fail');
	return failed ? `${failed.id}: ${failed.detail}` : 'passed';
}

function withRecord(record: unknown, breakOne: boolean) {
	return (dir: string) => {
		const metadataFile = path.join(dir, 'metadata.json');
		// The raw text, so keys like __proto__ stay own keys of the JSON object.
		const text = fs.readFileSync(metadataFile, 'utf8').replace(/"danglingReferences": \{[^}]*\}/, `"danglingReferences": ${typeof record === 'string' ? record : JSON.stringify(record)}`);
		fs.writeFileSync(metadataFile, text);
		if (breakOne) {
			const file = path.join(dir, 'chats', 'conversations.jsonl');
			writeJsonl(file, readJsonl(file).map((row, index) => (index === 0 ? {...row, user_id: 'usr_nobody'} : row)));
		}
	};
}

describe('drill against lying danglingReferences records', () => {
	const gateway = demoGateway();

	it('a record that lies (inflated, on columns it does not check, __proto__, malformed) never lets a broken reference pass, and never crashes', async () => {
		const live = await gateway;
		const cases: Array<{record: unknown; breakOne: boolean; failed: RegExp}> = [
			{record: {'conversations.user_id': 1000}, breakOne: true, failed: /^references: conversations\.user_id: 1 dangling reference after the restore, but metadata\.json records 1,000/},
			{record: {'conversations.user_id': 5}, breakOne: false, failed: /^references: conversations\.user_id: 0 dangling references after the restore, but metadata\.json records 5/},
			{record: {'nosuch.column': 3}, breakOne: false, failed: /^references: metadata\.json records dangling references for "nosuch\.column", not a reference column/},
			{record: '{"__proto__": 7}', breakOne: true, failed: /^references: metadata\.json records dangling references for "__proto__"/},
			{record: '{"constructor": 0, "toString": 0}', breakOne: false, failed: /^references: metadata\.json records dangling references for "constructor"/},
			{record: {'conversations.user_id': -1}, breakOne: true, failed: /^verify: metadata\.json: danglingReferences malformed$/},
			{record: {'conversations.user_id': 1.5}, breakOne: true, failed: /^verify: metadata\.json: danglingReferences malformed$/},
			{record: '{"conversations.user_id": 1e300}', breakOne: true, failed: /^verify: metadata\.json: danglingReferences malformed$/},
			{record: '[1]', breakOne: true, failed: /^verify: metadata\.json: danglingReferences malformed$/},
			{record: 'null', breakOne: true, failed: /^verify: metadata\.json: danglingReferences malformed$/},
		];
		for (const {record, breakOne, failed} of cases) {
			const report = await engineDrill(await editedBackup(live, {}, withRecord(record, breakOne)));
			expect(report.ok, JSON.stringify(record)).toBe(false);
			expect(failure(report), JSON.stringify(record)).toMatch(failed);
		}
	}, 180_000);

	it('a tenant-scoped backup and a backup of one category with no rows pass', async () => {
		const live = await gateway;
		const tenant = query<{slug: string}>(live, 'SELECT slug FROM tenants ORDER BY slug LIMIT 1')[0]!.slug;
		expect(failure(await engineDrill((await backupOf(live, {tenant})).source))).toBe('passed');
		const empty = freshGateway();
		expect(failure(await engineDrill((await backupOf(empty)).source))).toBe('passed');
	}, 120_000);
});

describe('drill and a locked live gateway', () => {
	it('a live database locked by another writer during the live check stops the drill as at its start (gateway-locked, exit 9), never as a failed check of the backup (exit 10)', async () => {
		const live = copyGateway(await demoGateway());
		const {source} = await backupOf(live);
		const previous = process.env['LIFEBOAT_BUSY_TIMEOUT_MS'];
		process.env['LIFEBOAT_BUSY_TIMEOUT_MS'] = '50';
		let holder: Database.Database | undefined;
		try {
			const drilled = engineDrill(source, {
				liveDataDir: live,
				onCheck: check => {
					// Another process takes the database exclusively once the checks of the backup have run.
					if (check.id === 'opens' && check.status === 'running' && !holder) {
						holder = new Database(path.join(live, 'data', 'gateway.db'));
						holder.pragma('locking_mode = EXCLUSIVE');
						holder.exec(`BEGIN IMMEDIATE; INSERT OR REPLACE INTO schema_meta (key, value) VALUES ('probe', '1'); COMMIT;`);
					}
				},
			});
			await expect(drilled).rejects.toMatchObject({code: 'gateway-locked', message: expect.stringMatching(/locked by another process/)});
			expect(holder).toBeDefined();
		} finally {
			holder?.close();
			if (previous === undefined) delete process.env['LIFEBOAT_BUSY_TIMEOUT_MS'];
			else process.env['LIFEBOAT_BUSY_TIMEOUT_MS'] = previous;
		}
	}, 60_000);
});

describe('names from a hostile archive on the terminal', () => {
	it("a backup name and redaction notes holding terminal escapes are shown with them made harmless: drill, its reports, drill --history, the restore plan and checklist", async () => {
		const {env} = envFor();
		const evil = 'nightly\u001b]0;pwned\u0007\u001b[2J\r\nFAKE: PASSED\u009b31m';
		const source = await editedBackup(live, {}, dir => {
			const metadataFile = path.join(dir, 'metadata.json');
			const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8')) as {name: string; redacted: Array<{field: string}>};
			metadata.name = evil;
			// Redaction notes become checklist lines: one names a field with escapes, one a file setting.
			metadata.redacted[0]!.field = `webhooks.secret${evil}`;
			metadata.redacted.push({...metadata.redacted[0]!, field: `config/x.json:${evil}`});
			fs.writeFileSync(metadataFile, JSON.stringify(metadata, null, 2) + '\n');
		});
		const runs = [
			runCli(['drill', '--in', source.label], {env}),
			runCli(['drill', '--history'], {env}),
			runCli(['backup', 'restore', '--in', source.label, '--data-dir', path.join(tempDir(), 'bare'), '--dry-run'], {env}),
		];
		expect(runs.map(run => run.code)).toEqual([0, 0, 0]);
		for (const run of runs) {
			// eslint-disable-next-line no-control-regex
			expect(run.stdout + run.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
			expect(run.stdout).not.toMatch(/^FAKE/m);
		}
		expect(runs[0]!.stdout.split('\n')[0]).toMatch(/^DR drill of nightly\?.*: PASSED$/);
	}, 60_000);
});
