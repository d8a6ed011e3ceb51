import Database from 'better-sqlite3';
import path from 'node:path';
import {afterEach, describe, expect, test} from 'vitest';
import {listBackups} from '../../source/core/backup/list-backups.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

type Tenant = {id: string; name: string; slug: string};

/**
 * The demo's two tenants, the second given the first's id as its slug: legal (a slug is any text)
 * and what a value resolved id-first (findTenant) would take for the first tenant.
 */
function slugIsOthersId(gateway: GatewayChoice): {first: Tenant; second: Tenant} {
	const handle = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	try {
		const [first, second] = handle.prepare(`SELECT id, name, slug FROM tenants ORDER BY slug`).all() as Tenant[];
		handle.prepare(`UPDATE tenants SET slug = ? WHERE id = ?`).run(first!.id, second!.id);
		return {first: first!, second: {...second!, slug: first!.id}};
	} finally {
		handle.close();
	}
}

describe('the wizards name a picked tenant to the engine by its id', () => {
	test('Create: the tenant picked is the one backed up, though its slug is the other tenant’s id', async () => {
		const gateway = await demoGateway(24);
		const {first, second} = slugIsOthersId(gateway);
		app = renderApp(gateway, {route: {name: 'create'}});
		await app.waitFor('What to back up');
		await app.press(KEY.enter);
		await app.waitFor('› All tenants');
		await app.press('j');
		if (!app.frame().includes(`› ${second.name}`)) await app.press('j');
		await app.waitFor(`› ${second.name}`);
		await app.press(KEY.enter);
		await app.waitFor('› zip');
		await app.press(KEY.enter, KEY.enter, KEY.enter);
		await app.waitFor('Backup name');
		await app.press(KEY.enter);
		const review = await app.waitFor('Enter start backup');
		expect(review).toMatch(new RegExp(`Tenants\\s+${second.slug}`));
		await app.press(KEY.enter);
		await app.waitFor('✓ Backup written', 30_000);
		const [listing] = await listBackups(gateway.backupDir);
		expect(listing?.metadata?.tenant?.id).toBe(second.id);
		expect(listing?.metadata?.tenant?.id).not.toBe(first.id);
	});

	test('Restore: "Another tenant" restores into that tenant, though its slug is the source tenant’s id', async () => {
		const gateway = await demoGateway(25);
		const {first, second} = slugIsOthersId(gateway);
		await makeBackup(gateway, {name: 'first-only', tenant: first.id});
		app = renderApp(gateway, {route: {name: 'browse'}, rows: 30});
		await app.waitFor('› first-only');
		await app.press('r');
		await app.waitFor('[x] Users', 20_000);
		await app.press(KEY.enter);
		await app.waitFor(`Same tenant: ${first.slug}`);
		await app.press('j');
		await app.waitFor(`› Another tenant: ${second.slug}`);
		await app.press(KEY.enter);
		await app.waitFor('› Additive');
		await app.press(KEY.enter);
		const plan = await app.waitFor('nothing written yet', 30_000);
		// Into the source tenant itself, every entry would be identical; into the other one, none is.
		expect(plan).toContain(`into tenant ${second.slug}`);
		expect(plan).toMatch(/Total\s+[1-9][\d,]*\s+0\s+0\s/);
	});
});
