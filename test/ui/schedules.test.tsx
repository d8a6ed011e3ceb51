import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {retentionFlags} from '../../source/ui/schedule-actions.js';
import {demoGateway, KEY, renderApp, tempDir, type Rendered} from './harness.js';

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(41);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

describe('Schedules screen', () => {
	test('s on Home opens it; add (a CLI refusal shown, fixed), run now, remove; the file is what the CLI would write', async () => {
		const config = path.join(tempDir('lifeboat-ui-schedules-'), 'config');
		app = renderApp(gateway, {columns: 100, rows: 30, props: {env: {...process.env, LIFEBOAT_CONFIG_DIR: config}}});
		await app.waitFor('Schedules');
		await app.press('s');
		await app.waitFor('No schedules yet: press a to add one');
		await app.press('a');
		await app.waitFor('Schedules · Add (1/7)');
		await app.press('nightly', KEY.enter);
		await app.waitFor('When (cron: minute hour day month weekday)');
		await app.press(KEY.enter);
		await app.waitFor('Time zone');
		await app.press('UTC', KEY.enter);
		await app.waitFor('Destination');
		await app.press(KEY.enter);
		await app.waitFor('Encrypt with the passphrase in this file');
		await app.press(KEY.enter);
		await app.waitFor('Incremental: a full backup every N runs');
		await app.press('x', KEY.enter);
		await app.waitFor('Keep (applied after each backup)');
		await app.press(KEY.enter);
		// The CLI refuses it, with its own line; nothing is saved.
		await app.waitFor('--full-every "x" is not a whole number ≥ 1 (every Nth run is a full backup)');
		expect(fs.existsSync(path.join(config, 'schedules.json'))).toBe(false);
		await app.press(KEY.escape);
		await app.waitFor('Schedules · Add (6/7)');
		await app.press(KEY.backspace, KEY.enter);
		await app.waitFor('Schedules · Add (7/7)');
		await app.press(KEY.enter);
		await app.waitFor(/Saved schedule nightly; next run \d{4}-\d\d-\d\dT03:00:00\.000Z/);
		await app.waitFor(/nightly\s+0 3 \* \* \*\s+\d{4}-\d\d-\d\d 03:00\s+never ran/);
		const stored = JSON.parse(fs.readFileSync(path.join(config, 'schedules.json'), 'utf8'));
		expect(stored.schedules).toEqual([
			{name: 'nightly', cron: '0 3 * * *', timezone: 'UTC', command: ['backup', 'create', `--data-dir=${gateway.dataDir}`, `--dest=${gateway.backupDir}`], retention: {daily: 7, weekly: 4, monthly: 12}, createdAt: expect.any(String)},
		]);

		await app.press('r');
		await app.waitFor(/Ran nightly: full backup \S+lifeboat-backup-\d{8}-\d{6}\.zip;\s+pruned 0/, 60_000);
		await app.waitFor(/nightly\s+0 3 \* \* \*\s+\S+ \S+\s+ok \d{4}-/);
		expect(fs.readdirSync(gateway.backupDir).filter(name => name.endsWith('.zip'))).toHaveLength(1);

		await app.press('d');
		await app.waitFor('Remove schedule nightly? Its backups are kept. y yes · n no');
		await app.press('y');
		await app.waitFor('Removed schedule nightly (its backups are kept)');
		await app.waitFor('No schedules yet');
		expect(JSON.parse(fs.readFileSync(path.join(config, 'schedules.json'), 'utf8')).schedules).toEqual([]);
		await app.press('q');
		await app.waitFor('Last backup');
	});

	test('a damaged state file: the schedules are still listed, their last run "not known", the reason in the status line; the file is left', async () => {
		const config = path.join(tempDir('lifeboat-ui-schedules-damaged-'), 'config');
		fs.mkdirSync(config, {mode: 0o700});
		fs.writeFileSync(path.join(config, 'schedules.json'), JSON.stringify({version: 1, schedules: [{name: 'nightly', cron: '0 3 * * *', command: ['backup', 'create', `--data-dir=${gateway.dataDir}`], createdAt: '2026-12-01T00:00:00.000Z'}]}), {mode: 0o600});
		fs.writeFileSync(path.join(config, 'schedules-state.json'), '{"version": 1, "sched', {mode: 0o600});
		app = renderApp(gateway, {columns: 160, rows: 30, props: {env: {...process.env, LIFEBOAT_CONFIG_DIR: config}}});
		await app.waitFor('Schedules');
		await app.press('s');
		await app.waitFor(/nightly\s+0 3 \* \* \*\s+\S+ \S+\s+not known \(state file damaged\)/);
		await app.waitFor(/schedules-state\.json is not a valid schedules file \(not JSON\): the last runs are not known/);
		expect(fs.readFileSync(path.join(config, 'schedules-state.json'), 'utf8')).toBe('{"version": 1, "sched');
	});

	test('the retention typed in the form becomes --keep flags; anything else is one line naming it', () => {
		expect(retentionFlags('7 daily, 4 weekly; 12 monthly, last 3, within 30d, unlimited yearly')).toEqual(['--keep-daily=7', '--keep-weekly=4', '--keep-monthly=12', '--keep-last=3', '--keep-within=30d', '--keep-yearly=unlimited']);
		expect(retentionFlags('')).toEqual([]);
		expect(retentionFlags('7 dayly')).toBe('"7 dayly" is not a rule: write e.g. 7 daily, 4 weekly, 12 monthly, last 3, within 30d');
	});
});
