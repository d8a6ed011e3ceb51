import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

const COUNT = 2000;
let gateway: GatewayChoice;
let folder: string;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(41);
	// One small real backup, copied under 2,000 names: the list sorts them by the (same) creation
	// time, then the screen has to stay responsive with all of them loaded.
	const result = await makeBackup(gateway, {name: 'seed', tenant: 'globex', categories: ['tools']});
	folder = tempDir();
	for (let index = 0; index < COUNT; index++) {
		fs.copyFileSync(result.path, path.join(folder, `bk-${String(index).padStart(4, '0')}.zip`));
	}
}, 120_000);

afterEach(() => {
	app?.unmount();
	app = undefined;
});

describe('Browse with thousands of backups', () => {
	test('renders only a window of rows, in every frame while moving through them', async () => {
		app = renderApp(gateway, {route: {name: 'browse', destDir: folder}});
		const first = await app.waitFor('2,000 backups', 60_000);
		const rows = first.split('\n').filter(line => /bk-\d{4}/.test(line));
		expect(first.split('\n').length).toBeLessThanOrEqual(24);
		expect(rows.length).toBeGreaterThan(5);
		expect(rows.length).toBeLessThan(24);
		expect(first).toMatch(new RegExp(`1–${rows.length} of 2,000`));

		// Every frame while moving holds only a window of rows, never the 2,000: the work per key is
		// bounded by the window (speed itself is for `npm run bench`, not a timed test).
		const mark = app.frameCount();
		await app.press('G');
		await app.waitFor(/–2,000 of 2,000/);
		await app.press('g');
		await app.waitFor(/ 1–\d+ of 2,000/);
		await app.press(KEY.pageDown, KEY.pageDown);
		await app.waitFor(frame => !/ 1–\d+ of 2,000/.test(frame) && /\d+–\d+ of 2,000/.test(frame));
		for (let step = 0; step < 10; step++) await app.press('k');
		await app.waitFor(/› bk-\d{4}/);
		const frames = app.framesSince(mark);
		expect(frames.length).toBeGreaterThan(5);
		for (const frame of frames) {
			expect(frame.split('\n').length).toBeLessThanOrEqual(24);
			expect(frame.split('\n').filter(line => /bk-\d{4}/.test(line)).length).toBeLessThan(24);
		}
	});
});
