import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {formatCount} from '../../source/core/format.js';
import {countCategories, openGateway} from '../../source/core/store/gateway-store.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(11);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

describe('Home', () => {
	test('shows the gateway, tenants, counts per category, size and "no backup yet"', async () => {
		app = renderApp(gateway);
		const frame = await app.waitFor('none yet in');
		await app.waitFor('Audit log');
		expect(frame).toContain(gateway.dataDir);
		expect(app.frame()).toMatch(/Tenants\s+2 · /);
		expect(app.frame()).toMatch(/Size on disk\s+\d+(\.\d)? (KB|MB)/);
		const store = openGateway(gateway.dataDir);
		const counts = countCategories(store);
		store.close();
		const memory = counts.find(count => count.category === 'memory')!;
		expect(app.frame()).toMatch(new RegExp(`Memory\\s+${formatCount(memory.count)}`));
		for (const item of ['Create backup', 'Browse backups', 'Restore', 'Quarantine', 'Quit']) expect(app.frame()).toContain(item);
		expect(app.frame()).toContain('? help');
	});

	test('shows the last backup and its age once one exists', async () => {
		const result = await makeBackup(gateway, {name: 'home-last'});
		app = renderApp(gateway);
		const frame = await app.waitFor('home-last');
		expect(frame).toMatch(/Last backup\s+home-last · (just now|\d+ seconds? ago)/);
		expect(result.path).toContain('home-last');
	});

	test('j/k and arrows move the cursor; Enter opens the screen; Esc comes back', async () => {
		app = renderApp(gateway);
		await app.waitFor('› Create backup');
		await app.press('j');
		await app.waitFor('› Browse backups');
		await app.press('k');
		await app.waitFor('› Create backup');
		await app.press(KEY.down);
		await app.waitFor('› Browse backups');
		await app.press(KEY.enter);
		await app.waitFor('Lifeboat · Browse');
		await app.press(KEY.escape);
		await app.waitFor('› Create backup');
	});

	test('? toggles the full key help', async () => {
		app = renderApp(gateway);
		await app.waitFor('? help');
		await app.press('?');
		const frame = await app.waitFor(/Enter\s+select/);
		expect(frame).toMatch(/q\s+quit/);
		await app.press('?');
		await app.waitFor(frame => !/Enter\s+select\n/.test(frame));
	});

	test('q quits with code 0; Ctrl+C with 130', async () => {
		app = renderApp(gateway);
		await app.waitFor('Create backup');
		await app.press('q');
		expect(app.exits).toEqual([0]);
		app.unmount();
		app = renderApp(gateway);
		await app.waitFor('Create backup');
		await app.press(KEY.ctrlC);
		expect(app.exits).toEqual([130]);
	});

	test('a data dir that is not a gateway shows one red line with the next step', async () => {
		app = renderApp({...gateway, dataDir: gateway.dataDir + '-missing'});
		const frame = await app.waitFor('✗');
		expect(frame.replace(/\n/g, " ")).toMatch(/✗ Data directory .*-missing does not exist .* — check --data-dir/);
		expect(frame).not.toMatch(/at .*\.js:\d+/);
	});
});
