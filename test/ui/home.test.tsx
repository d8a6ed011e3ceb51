import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {formatCount} from '../../source/core/format.js';
import {countCategories, openGateway} from '../../source/core/store/gateway-store.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

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
		// A folder holding files but no gateway (an absent or empty one is a bare host: test/ui/bare-host).
		const other = path.join(tempDir(), 'other');
		fs.mkdirSync(other);
		fs.writeFileSync(path.join(other, 'notes.txt'), 'not a gateway');
		app = renderApp({...gateway, dataDir: other});
		const frame = await app.waitFor('✗');
		expect(frame.replace(/\s*\n\s*/g, ' ')).toMatch(/✗ .*other is not a gateway data directory \(no data\/gateway\.db\) — choose Change data dir, or start lifeboat with --data-dir PATH \(or LIFEBOAT_DATA_DIR\)/);
		expect(frame).not.toMatch(/at .*\.js:\d+/);
	});
});

/** Moves the Home cursor to `label` (j presses, each waited for). */
async function moveTo(rendered: Rendered, label: string) {
	for (let step = 0; step < 6 && !rendered.frame().includes(`› ${label}`); step++) await rendered.press('j');
	await rendered.waitFor(`› ${label}`);
}

describe('Home without a gateway', () => {
	// A missing folder, an empty one (bare hosts: Restore builds the gateway there), and one holding files but no gateway database.
	const notGateways = (): Array<{what: string; dataDir: string; reason: RegExp; bare: boolean}> => {
		const root = tempDir();
		const empty = path.join(root, 'empty');
		fs.mkdirSync(empty);
		const other = path.join(root, 'other');
		fs.mkdirSync(path.join(other, 'data'), {recursive: true});
		fs.writeFileSync(path.join(other, 'notes.txt'), 'not a gateway');
		return [
			{what: 'missing', dataDir: path.join(root, 'missing'), reason: /missing holds no gateway yet \(the folder does not exist\)/, bare: true},
			{what: 'empty', dataDir: empty, reason: /empty holds no gateway yet \(an empty folder\)/, bare: true},
			{what: 'other files', dataDir: other, reason: /other is not a gateway data directory \(no data\/gateway\.db\)/, bare: false},
		];
	};

	test('Create and Quarantine are refused with the reason and the way out (Restore too, unless the folder is absent or empty); Browse still opens', async () => {
		for (const {dataDir, reason, bare} of notGateways()) {
			app?.unmount();
			app = renderApp({...gateway, dataDir});
			await app.waitFor(bare ? '!' : '✗');
			await app.waitFor('Create backup  needs a gateway');
			const actions = bare ? (['Create backup', 'Quarantine'] as const) : (['Create backup', 'Restore', 'Quarantine'] as const);
			for (const action of actions) {
				await moveTo(app, action);
				await app.press(KEY.enter);
				const frame = (await app.waitFor(`${action} needs a gateway`)).replace(/\s*\n\s*/g, ' ');
				expect(frame).toMatch(reason);
				expect(frame).toContain(bare ? 'Restore rebuilds the gateway there from a backup' : 'choose Change data dir, or start lifeboat with --data-dir PATH (or LIFEBOAT_DATA_DIR)');
				expect(frame).toContain('Lifeboat · Home');
				expect(frame).not.toContain('What to back up');
			}
			// Backups need no gateway: Browse opens, Esc comes back.
			await app.press('g');
			await moveTo(app, 'Browse backups');
			await app.press(KEY.enter);
			await app.waitFor('Lifeboat · Browse');
			await app.press(KEY.escape);
			await app.waitFor('Lifeboat · Home');
		}
	});

	test('Change data dir: a folder that is not a gateway is refused with the same reason; a gateway is then used, Home re-reads and Create opens', async () => {
		const root = tempDir();
		app = renderApp({...gateway, dataDir: path.join(root, 'nowhere')});
		await app.waitFor('holds no gateway yet');
		await moveTo(app, 'Change data dir');
		await app.press(KEY.enter);
		await app.waitFor('Gateway data directory');
		await app.press(...Array.from({length: path.join(root, 'nowhere').length}, () => KEY.backspace));
		// Typed while the field has the keyboard: q and ? are letters, not quit and help.
		await app.press(path.join(root, 'q?'), KEY.enter);
		let frame = await app.waitFor(/q\? does not exist/);
		expect(frame.replace(/\s*\n\s*/g, ' ')).toMatch(/✗ Data directory .*q\? does not exist — type another path, or Esc to keep the current one/);
		expect(app.exits).toEqual([]);
		await app.press(...Array.from({length: path.join(root, 'q?').length}, () => KEY.backspace));
		await app.press(gateway.dataDir, KEY.enter);
		frame = await app.waitFor(/Tenants\s+2 · /);
		expect(frame).toMatch(new RegExp(`Gateway\\s+${escape(gateway.dataDir)}\\s`));
		expect(frame).not.toContain('✗');
		expect(frame).not.toContain('needs a gateway');
		await app.waitFor('Audit log');
		await app.press('g', KEY.enter);
		await app.waitFor('What to back up');
	});

	test('Esc leaves the data dir field and keeps the current gateway', async () => {
		app = renderApp(gateway);
		await app.waitFor('Audit log');
		await moveTo(app, 'Change data dir');
		await app.press(KEY.enter);
		await app.waitFor('Gateway data directory');
		await app.press('/elsewhere', KEY.escape);
		const frame = await app.waitFor('› Change data dir');
		expect(frame).toContain(gateway.dataDir);
		expect(frame).not.toContain('elsewhere');
		expect(app.exits).toEqual([]);
	});

	test('a gateway replaced by other files after Home was drawn: Restore from Browse is refused on Home', async () => {
		const root = tempDir();
		const copy = path.join(root, 'gateway');
		fs.cpSync(gateway.dataDir, copy, {recursive: true});
		await makeBackup({...gateway, dataDir: copy}, {name: 'before-move'});
		app = renderApp({...gateway, dataDir: copy});
		await app.waitFor('Audit log');
		fs.renameSync(copy, copy + '-moved');
		fs.mkdirSync(copy);
		fs.writeFileSync(path.join(copy, 'notes.txt'), 'not a gateway');
		await moveTo(app, 'Browse backups');
		await app.press(KEY.enter);
		await app.waitFor('before-move');
		await app.press('r');
		const frame = (await app.waitFor('Restore needs a gateway')).replace(/\s*\n\s*/g, ' ');
		expect(frame).toMatch(/gateway is not a gateway data directory/);
		expect(frame).toContain('Lifeboat · Home');
	});
});

describe('Home when the gateway goes away while shown', () => {
	test('Create on a Home drawn earlier is refused, and Home re-reads the folder (no stale counts)', async () => {
		const root = tempDir();
		const copy = path.join(root, 'gateway');
		fs.cpSync(gateway.dataDir, copy, {recursive: true});
		app = renderApp({...gateway, dataDir: copy});
		await app.waitFor('Audit log');
		fs.rmSync(copy, {recursive: true});
		await app.press(KEY.enter);
		const frame = await app.waitFor(screen => screen.includes('Create backup  needs a gateway') && !screen.includes('Audit log'));
		expect(frame.replace(/\s*\n\s*/g, ' ')).toMatch(/✗ Create backup needs a gateway: .*gateway holds no gateway yet \(the folder does not exist\) — Restore rebuilds the gateway there from a backup/);
		expect(frame).toMatch(/Tenants\s+—/);
	});
});

function escape(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
