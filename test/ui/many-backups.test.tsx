import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, expect, test} from 'vitest';
import {BROWSE_READS_ALL_UP_TO} from '../../source/ui/destination-access.js';
import {consoleSummaries} from '../../source/ui/gateway-summary.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

/**
 * A folder of thousands of backups: Home reads only the newest few for "Last backup", Browse
 * draws the folder listing at once and reads a backup's summary only when its row is in view.
 */
const COUNT = 3000;
let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(71);
	const seed = await makeBackup(gateway, {name: 'seed', categories: ['tools']});
	fs.renameSync(seed.path, path.join(tempDir(), 'seed.zip'));
}, 120_000);

afterEach(() => {
	app?.unmount();
	app = undefined;
});

const old = new Date('2020-01-01T00:00:00Z');

test('Home: Last backup is the newest file that can be read, read without reading the thousands before it', async () => {
	const folder = tempDir();
	// Thousands of older files that would all claim to be newer (made "in 2030"), if they were read.
	const future = await makeBackup({...gateway, backupDir: folder}, {name: 'claims-2030', categories: ['tools'], now: new Date('2030-01-01T00:00:00Z')});
	for (let index = 0; index < COUNT; index++) {
		const file = path.join(folder, `old-${String(index).padStart(4, '0')}.zip`);
		fs.linkSync(future.path, file);
	}
	fs.utimesSync(future.path, old, old);
	// Then a few recent ones (more than Home reads at once), and the newest.
	const recent = await makeBackup({...gateway, backupDir: folder}, {name: 'b-recent', categories: ['tools'], now: new Date(Date.now() - 3_600_000)});
	for (let index = 0; index < 20; index++) fs.linkSync(recent.path, path.join(folder, `recent-${index}.zip`));
	const minuteAgo = new Date(Date.now() - 60_000);
	fs.utimesSync(recent.path, minuteAgo, minuteAgo);
	await makeBackup({...gateway, backupDir: folder}, {name: 'b-newest', categories: ['tools']});
	app = renderApp({...gateway, backupDir: folder});
	const frame = await app.waitFor(/Last backup\s+[^…\s]/, 60_000);
	expect(frame.split('\n').find(line => line.startsWith('Last backup'))).toMatch(/Last backup\s+b-newest · /);
}, 120_000);

test('Browse: the first screen of thousands of backups reads only its rows; rows further down are read when scrolled to', async () => {
	expect(COUNT).toBeGreaterThan(BROWSE_READS_ALL_UP_TO);
	const folder = tempDir();
	const good = await makeBackup({...gateway, backupDir: folder}, {name: 'good', categories: ['tools']});
	// Every backup but the newest 40 (by file time) is damaged: a listing that read them all would show them so at once.
	const damaged = path.join(tempDir(), 'damaged.zip');
	fs.writeFileSync(damaged, 'not a zip at all');
	for (let index = 0; index < COUNT; index++) {
		const file = path.join(folder, `bk-${String(index).padStart(4, '0')}.zip`);
		fs.linkSync(index < COUNT - 40 ? damaged : good.path, file);
	}
	fs.rmSync(good.path);
	// Link times are the inode's: put them in name order so the newest 40 are bk-2960…bk-2999.
	for (let index = 0; index < COUNT; index++) {
		const file = path.join(folder, `bk-${String(index).padStart(4, '0')}.zip`);
		if (index >= COUNT - 40) continue;
		fs.utimesSync(file, old, old);
	}
	app = renderApp({...gateway, backupDir: folder}, {route: {name: 'browse', destDir: folder}});
	const damagedRow = /bk-\d{4}\s.*\s\?\s+\d+ B\s/;
	// The first screen: good rows, their summaries read (kind "full"), and not one damaged row.
	const first = await app.waitFor(frame => frame.includes(`${(COUNT).toLocaleString('en-US')} backups`) && /› bk-2999\s.*full/.test(frame), 60_000);
	expect(first).toMatch(/1–\d+ of 3,000/);
	const settledFrame = await app.waitFor(frame => !/bk-\d{4}\s.*\s…\s/.test(frame));
	expect(settledFrame).not.toMatch(damagedRow);
	// The rows were drawn before their summaries were read…
	expect(app.framesSince(0).some(frame => /› bk-2999\s.*\s…\s/.test(frame))).toBe(true);
	// …and only the rows in view were read: of the 40 good backups, exactly those on screen.
	const shown = settledFrame.split('\n').filter(line => /bk-\d{4}\s/.test(line)).length;
	const read = Array.from({length: 40}, (_, offset) => path.join(folder, `bk-${COUNT - 40 + offset}.zip`)).filter(file => consoleSummaries.get(file, fs.statSync(file)));
	expect(shown).toBeLessThan(40);
	expect(read).toHaveLength(shown);
	// The last page: damaged backups, read now that they are in view.
	await app.press('G');
	const last = await app.waitFor(frame => /–3,000 of 3,000/.test(frame) && damagedRow.test(frame), 60_000);
	expect(last).toMatch(/› bk-0000\s/);
	await app.press(KEY.enter);
	await app.waitFor('Cannot read this backup: ');
}, 180_000);
