/**
 * Review of `lifeboat drill` (issue 11): operator mistakes and kills, through the built CLI
 * (dist/cli.js) on a real demo gateway and real archives.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {demoGateway, sha256, walkFiles} from './restore-support.js';
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
