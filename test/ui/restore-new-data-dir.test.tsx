/**
 * Issue 11 §1 in the console: the restore wizard restores into a new data directory (a bare host)
 * typed by the operator, and its summary shows the post-restore checklist.
 */
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, test} from 'vitest';
import {storeDigest, query} from '../restore-support.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

describe('Restore wizard: into a new data directory', () => {
	test('n on the categories step, a folder typed (one with files refused), dry run, restore, the checklist, open the new gateway', async () => {
		const gateway = await demoGateway(71);
		const backup = await makeBackup(gateway, {name: 'full'});
		const before = storeDigest(gateway.dataDir);
		const parent = tempDir('lifeboat-ui-bare-');
		const busy = path.join(parent, 'busy');
		fs.mkdirSync(busy);
		fs.writeFileSync(path.join(busy, 'notes.txt'), 'x');
		const target = path.join(parent, 'rebuilt', 'gateway');

		app = renderApp(gateway, {route: {name: 'restore', backupPath: backup.path, encrypted: false}, rows: 32, columns: 140});
		const categories = await app.waitFor('[x] Users', 20_000);
		expect(categories).toMatch(/n into a new data dir/);
		await app.press('n');
		await app.waitFor('Folder for the new gateway (absent or empty)');
		await app.press(busy, KEY.enter);
		const refused = await app.waitFor('is not empty');
		expect(refused.replace(/\s*\n\s*/g, ' ')).toContain(`${busy} is not empty: a new gateway is only made in an absent or empty folder`);
		await app.press(KEY.ctrlU, target, KEY.enter);
		const mode = await app.waitFor('› Additive');
		expect(mode).toContain(`new gateway in ${target}`);
		await app.press(KEY.enter);
		const plan = await app.waitFor('nothing written yet', 30_000);
		expect(plan.replace(/\s*\n\s*/g, ' ')).toMatch(/Additive of full into 2 tenants of the backup · new gateway in/);
		expect(plan).toMatch(/Total\s+[\d,]+\s+0\s+0\s+0/);
		expect(fs.existsSync(path.join(parent, 'rebuilt'))).toBe(false);

		await app.press('r');
		const summary = await app.waitFor('✓ New gateway restored', 30_000);
		expect(summary).toContain(target);
		const webhooks = query(gateway.dataDir, 'SELECT id FROM webhooks').length;
		const enrolled = query(gateway.dataDir, 'SELECT id FROM users WHERE totp_secret IS NOT NULL').length;
		expect(summary).toContain('After the restore:');
		expect(summary).toContain(`1. Re-enter webhooks.secret for ${webhooks} webhooks`);
		expect(summary).toMatch(new RegExp(`\\d+\\. ${enrolled} users must re-enrol 2FA`));
		expect(summary).toMatch(/\d+\. Rotate any API tokens users care about/);
		expect(summary).toContain('› Open the new gateway');

		// The new gateway holds the backup; the console's own gateway was not touched.
		expect(query(target, 'SELECT id FROM users ORDER BY id')).toEqual(query(gateway.dataDir, 'SELECT id FROM users ORDER BY id'));
		expect(fs.readdirSync(path.dirname(target))).toEqual(['gateway']);
		expect(storeDigest(gateway.dataDir)).toEqual(before);

		await app.press(KEY.enter);
		const home = await app.waitFor(frame => frame.includes(target) && !frame.includes('After the restore'));
		expect(home).not.toContain('✗');
	}, 90_000);

	test('at 80x24 every step fits; at 50x16 the checklist is cut with a line saying how many steps are left', async () => {
		const gateway = await demoGateway(72);
		const backup = await makeBackup(gateway, {name: 'small'});
		const target = path.join(tempDir('lifeboat-ui-bare-'), 'gateway');
		app = renderApp(gateway, {route: {name: 'restore', backupPath: backup.path, encrypted: false}});
		await app.waitFor('[x] Users', 20_000);
		await app.press('n');
		await app.waitFor('Folder for the new gateway');
		await app.press(target, KEY.enter);
		await app.waitFor('› Additive');
		await app.press(KEY.enter);
		await app.waitFor(/Additive of small[\s\S]*r restore now/, 30_000);
		await app.press('r');
		const summary = await app.waitFor('✓ New gateway restored', 30_000);
		// 80x24: every step fits, the last one the rotation.
		expect(summary).toMatch(/^ {2}9\. Rotate any API tokens users care about/m);
		expect(summary).not.toMatch(/more steps?/);
		expect(summary).toContain('› Open the new gateway');
		// 50x16: the steps that fit, a line saying how many more, the choices still there.
		app.resize(50, 16);
		const small = await app.waitFor(/… \d+ more steps?/);
		expect(small).toContain('› Open the new gateway');
		expect(small).toMatch(/^ {2}1\. Re-enter webhooks/m);
		expect(small.split('\n').length).toBeLessThanOrEqual(16);
	}, 90_000);
});
