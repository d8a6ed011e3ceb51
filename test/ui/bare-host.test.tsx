/**
 * The console on a bare host: `--data-dir DIR` names an absent or empty folder (a rebuilt host).
 * Home says DIR holds no gateway yet and offers Restore into DIR itself and the DR drill; Create
 * and Quarantine stay refused with the reason; after the restore Home shows the new gateway.
 * A folder that is neither empty nor a gateway is still refused (test/ui/home).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {formatCount} from '../../source/core/format.js';
import {countCategories, openGateway} from '../../source/core/store/gateway-store.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {fitPath, lineWithPath} from '../../source/ui/text-fit.js';
import {query} from '../restore-support.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

let source: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	source = await demoGateway(91);
	await makeBackup(source, {name: 'nightly'});
}, 60_000);

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/** Wide enough that the temp paths show whole (at 80 columns they are cut: the last describe). */
const WIDE = {columns: 120, rows: 30};

const squeeze = (frame: string) => frame.replace(/\s*\n\s*/g, ' ');
const widest = (frame: string) => Math.max(...frame.split('\n').map(line => [...line].length));

/** The source gateway's entries per category, as Home shows them. */
function countsOf(dataDir: string) {
	const store = openGateway(dataDir, {readonly: true});
	try {
		return countCategories(store);
	} finally {
		store.close();
	}
}

/** Home on a bare host: the note, the way out, the menu's hints; nothing drawn past the width. */
async function expectBareHome(rendered: Rendered, dataDir: string, why: string, columns = WIDE.columns) {
	// (Once the last backup is read: the harness sets the terminal's size just after the first frame.)
	const home = await rendered.waitFor(frame => frame.includes('holds no gateway yet') && /Last backup\s+[^…\s]/.test(frame));
	expect(squeeze(home)).toContain(`! ${dataDir} holds no gateway yet (${why}) — Restore rebuilds the gateway there from a backup (DR drill tests one first), or choose Change data dir`);
	expect(home).toMatch(new RegExp(`Gateway\\s+${escape(dataDir)} \\(no gateway yet\\)`));
	expect(home).toContain('Create backup  needs a gateway');
	expect(home).toContain('Restore  rebuilds it here');
	expect(home).toContain('Quarantine  needs a gateway');
	expect(home).toContain('DR drill');
	expect(home).not.toContain('✗');
	expect(widest(home)).toBeLessThanOrEqual(columns);
}

/** Restore from the wizard's pick step (or its categories, `picked`) to its summary, checking every step says where the gateway goes. */
async function restoreIntoBareHost(rendered: Rendered, dataDir: string, picked = false) {
	if (!picked) {
		await rendered.waitFor('› nightly.zip');
		await rendered.press(KEY.enter);
	}
	const categories = await rendered.waitFor('[x] Users', 20_000);
	expect(categories).toMatch(new RegExp(`^Into a new gateway in ${escape(dataDir)}$`, 'm'));
	// It already goes into a new gateway: no "n into a new data dir".
	expect(categories).not.toContain('into a new data dir');
	await rendered.press('n');
	expect(rendered.frame()).not.toContain('Folder for the new gateway');
	await rendered.press(KEY.enter);
	const mode = await rendered.waitFor('› Additive');
	expect(mode).toContain(`into 2 tenants of the backup · new gateway in ${dataDir}`);
	await rendered.press(KEY.enter);
	const plan = await rendered.waitFor(/Total\s+[\d,]+\s+0\s+0\s+0/, 30_000);
	// The title keeps the path's end (cut at its start when the line is too long).
	expect(plan).toMatch(new RegExp(`^Additive of nightly into 2 tenants of the backup · new gateway in (${escape(dataDir)}|…\\S*/${escape(path.basename(dataDir))}) · nothing written yet$`, 'm'));
	// Nothing written before r.
	expect(fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : []).toEqual([]);
	await rendered.press('r');
	const summary = await rendered.waitFor('✓ New gateway restored', 30_000);
	expect(summary).toContain('After the restore:');
	expect(summary).toMatch(/^ {2}1\. Re-enter webhooks\.secret for \d+ webhooks/m);
	expect(summary).toContain('› Open the new gateway');
}

/** Home on the restored gateway: its tenants and counts (the source's), no note, and Create opens. */
async function expectRestoredHome(rendered: Rendered, dataDir: string) {
	const home = await rendered.waitFor(frame => /Tenants\s+2 · /.test(frame) && frame.includes('Audit log'));
	const memory = countsOf(source.dataDir).find(count => count.category === 'memory')!;
	expect(home).toMatch(new RegExp(`Memory\\s+${formatCount(memory.count)}`));
	expect(home).toMatch(new RegExp(`Gateway\\s+${escape(dataDir)}\\s*\\n`));
	expect(home).not.toContain('holds no gateway yet');
	expect(home).not.toContain('needs a gateway');
	// Every entry of the backup, and the restore's own audit entry in each of the 2 tenants.
	const restored = countsOf(dataDir).map(count => (count.category === 'audit' ? {...count, count: count.count - 2, tables: {audit_log: count.tables['audit_log']! - 2}} : count));
	expect(restored).toEqual(countsOf(source.dataDir));
	expect(query(dataDir, 'SELECT id FROM users ORDER BY id')).toEqual(query(source.dataDir, 'SELECT id FROM users ORDER BY id'));
	await rendered.press('g', KEY.enter);
	await rendered.waitFor('What to back up');
}

describe('the console on a bare host', () => {
	test('an absent folder: Home says so; Create and Quarantine are refused with the reason; the DR drill opens; Restore rebuilds the gateway there and Home opens it', async () => {
		const dataDir = path.join(tempDir('lifeboat-ui-bare-'), 'rebuilt', 'gateway');
		app = renderApp({dataDir, backupDir: source.backupDir, isDemo: false}, WIDE);
		await expectBareHome(app, dataDir, 'the folder does not exist');

		await app.press(KEY.enter);
		const refused = squeeze(await app.waitFor('Create backup needs a gateway'));
		expect(refused).toContain(`✗ Create backup needs a gateway: ${dataDir} holds no gateway yet (the folder does not exist) — Restore rebuilds the gateway there from a backup`);
		await app.press('j', 'j', 'j', KEY.enter);
		expect(squeeze(await app.waitFor('Quarantine needs a gateway'))).toContain(`Quarantine needs a gateway: ${dataDir} holds no gateway yet`);
		expect(app.frame()).toContain('Lifeboat · Home');

		// The DR drill needs no gateway (it never touches the data dir).
		await app.press('d');
		await app.waitFor('Lifeboat · DR drill');
		await app.press(KEY.escape);
		await app.waitFor('Lifeboat · Home');

		await app.press('g', 'j', 'j', KEY.enter);
		await app.waitFor('Lifeboat · Restore · Pick a backup');
		await restoreIntoBareHost(app, dataDir);
		expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
		await app.press(KEY.enter);
		await expectRestoredHome(app, dataDir);
	}, 120_000);

	test('an empty folder: Restore from Browse, then Home from the summary shows the new gateway', async () => {
		const dataDir = path.join(tempDir('lifeboat-ui-bare-'), 'empty');
		fs.mkdirSync(dataDir);
		app = renderApp({dataDir, backupDir: source.backupDir, isDemo: false}, WIDE);
		await expectBareHome(app, dataDir, 'an empty folder');
		await app.press('j', KEY.enter);
		await app.waitFor('› nightly');
		await app.press('r');
		await restoreIntoBareHost(app, dataDir, true);
		await app.press('j');
		await app.waitFor('› Home');
		await app.press(KEY.enter);
		await expectRestoredHome(app, dataDir);
	}, 120_000);

	test('a bare folder that gets files after Home was drawn: Restore is refused with the reason, nothing written', async () => {
		const dataDir = path.join(tempDir('lifeboat-ui-bare-'), 'gateway');
		app = renderApp({dataDir, backupDir: source.backupDir, isDemo: false}, WIDE);
		await expectBareHome(app, dataDir, 'the folder does not exist');
		fs.mkdirSync(dataDir);
		fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'not a gateway');
		await app.press('j', 'j', KEY.enter);
		const refused = squeeze(await app.waitFor('Restore needs a gateway'));
		expect(refused).toContain(`✗ Restore needs a gateway: ${dataDir} is not a gateway data directory (no data/gateway.db) — choose Change data dir`);
		expect(refused).not.toContain('holds no gateway yet');
		expect(fs.readdirSync(dataDir)).toEqual(['notes.txt']);
	});
});

describe('long paths in one-line fields are cut at their start', () => {
	test('lineWithPath: never wider than the width; the path whole, or cut at its start keeping its end; the text after it goes first, then the text before it is cut', () => {
		const segment = fc.stringMatching(/^[\w.-]{1,20}$/);
		fc.assert(
			fc.property(fc.array(segment, {minLength: 1, maxLength: 12}), fc.string({maxLength: 60}), fc.string({maxLength: 30}), fc.integer({min: 1, max: 200}), (segments, before, after, width) => {
				const text = '/' + segments.join('/');
				const line = lineWithPath(before, text, after, width);
				const length = (value: string) => [...value].length;
				expect(length(line)).toBeLessThanOrEqual(width);
				if (length(before) + length(text) + length(after) <= width) {
					expect(line).toBe(before + text + after);
					return;
				}
				// The path's part shown is its end (after the ellipsis when cut): the line ends with it, or with it and the suffix.
				const least = Math.min(16, length(text), width);
				const withSuffix = length(before) + least + length(after) <= width;
				const beforeWhole = length(before) + least <= width;
				if (withSuffix) expect(line.endsWith(after)).toBe(true);
				if (beforeWhole) expect(line.startsWith(before)).toBe(true);
				const rest = withSuffix ? line.slice(0, line.length - after.length) : line;
				const shownPath = beforeWhole ? rest.slice(before.length) : [...line].slice(-least).join('');
				expect(text.endsWith(shownPath.replace(/^…/, ''))).toBe(true);
				expect(length(shownPath)).toBeGreaterThanOrEqual(Math.min(least, width));
			}),
		);
	});

	test('at 80 columns a long data dir keeps its end on Home, on the categories and mode steps, and in the dry run title', async () => {
		const deep = path.join(tempDir('lifeboat-ui-bare-'), 'a-rather-long-folder-name-for-a-rebuilt-host', 'another-long-level-of-folders', 'rebuilt-gateway');
		expect(deep.length).toBeGreaterThan(80);
		const tail = 'another-long-level-of-folders/rebuilt-gateway';
		app = renderApp({dataDir: deep, backupDir: source.backupDir, isDemo: false});
		const home = await app.waitFor(frame => frame.includes('holds no gateway yet') && /Last backup\s+[^…\s]/.test(frame));
		expect(home).toMatch(new RegExp(`^Gateway {7}…\\S*${escape(tail)} \\(no gateway yet\\)$`, 'm'));
		await app.press('j', 'j', KEY.enter);
		await app.waitFor('› nightly.zip');
		await app.press(KEY.enter);
		const categories = await app.waitFor('[x] Users', 20_000);
		expect(categories).toMatch(new RegExp(`^Into a new gateway in …\\S*${escape(tail)}$`, 'm'));
		await app.press(KEY.enter);
		const mode = await app.waitFor('› Additive');
		expect(mode).toMatch(new RegExp(`^\\d+ categories into 2 tenants of the backup · new gateway in …\\S*${escape('rebuilt-gateway')}$`, 'm'));
		await app.press(KEY.enter);
		const plan = await app.waitFor(/Total\s+[\d,]+/, 30_000);
		expect(plan).toMatch(new RegExp(`^Additive of nightly into 2 tenants of the backup · new gat\\S*… …\\S*${escape('rebuilt-gateway')}$`, 'm'));
		for (const frame of [home, categories, mode, plan]) expect(widest(frame)).toBeLessThanOrEqual(80);
	}, 60_000);
});

function escape(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
