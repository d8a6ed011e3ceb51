import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {CLI, consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/**
 * The Schedules screen of the built binary in a real terminal (tmux, 80x24): a schedule added
 * with the CLI shows its next run and last result; run now, add one from the screen, remove one.
 */
const HAVE_TMUX = tmuxAvailable();
if (!HAVE_TMUX) console.warn('SKIPPED test/tmux: tmux is not installed (apt-get install -y tmux)');

let root: string;
let dataDir: string;
let backupDir: string;
let configDir: string;
let session: TmuxSession | undefined;

function cli(args: string[]): void {
	const result = spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8', env: {...process.env, LIFEBOAT_CONFIG_DIR: configDir}});
	expect(result.status, result.stderr).toBe(0);
}

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tmux-schedules-'));
	dataDir = path.join(root, 'gateway');
	backupDir = path.join(root, 'backups');
	configDir = path.join(root, 'config');
	await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 12});
	cli(['schedule', 'add', 'nightly', '--cron', '30 2 * * *', '--tz', 'UTC', '--keep-last', '3', '--', 'backup', 'create', '--data-dir', dataDir, '--dest', backupDir]);
	cli(['schedule', 'run-now', 'nightly']);
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => {
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

describe.skipIf(!HAVE_TMUX)('the Schedules screen in a real terminal (tmux 80x24)', () => {
	test('s → the list (next run, last result) → r runs it now → a adds one → d, y removes one', async () => {
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir], {LIFEBOAT_CONFIG_DIR: configDir}));
		const home = await session.waitFor('Audit log');
		expect(home).toContain('s schedules');
		await session.key('s');
		const list = await session.waitFor(/nightly\s+30 2 \* \* \*\s+\d{4}-\d\d-\d\d 02:30\s+ok \d{4}-/);
		expect(list).toContain('a add');
		await session.key('r');
		await session.waitFor(/Ran nightly: full backup/, 60_000);
		expect(fs.readdirSync(backupDir).filter(name => name.endsWith('.zip'))).toHaveLength(2);

		await session.key('a');
		await session.waitFor('Schedules · Add (1/7)');
		await session.type('weekly');
		await session.key('Enter');
		await session.waitFor('Schedules · Add (2/7)');
		for (let step = 2; step <= 7; step++) await session.key('Enter');
		await session.waitFor(/Saved schedule weekly; next run \d{4}-/);
		await session.waitFor(/weekly\s+0 3 \* \* \*/);
		const stored = JSON.parse(fs.readFileSync(path.join(configDir, 'schedules.json'), 'utf8'));
		expect(stored.schedules.map((schedule: {name: string}) => schedule.name)).toEqual(['nightly', 'weekly']);

		await session.key('d');
		await session.waitFor('Remove schedule nightly? Its backups are kept.');
		await session.key('y');
		await session.waitFor('Removed schedule nightly');
		expect(JSON.parse(fs.readFileSync(path.join(configDir, 'schedules.json'), 'utf8')).schedules.map((schedule: {name: string}) => schedule.name)).toEqual(['weekly']);
	});
});
