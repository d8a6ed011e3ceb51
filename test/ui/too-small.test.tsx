import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {tooSmallText} from '../../source/ui/components/SizeGate.js';
import {columns as textColumns} from '../../source/ui/text-fit.js';
import {demoGateway, KEY, renderApp, waitUntil, type Rendered} from './harness.js';

/**
 * Below the documented minimum (50x16) the console draws one line saying so instead of the
 * screen, and reads no key but q (quit) and Ctrl+C. The screen stays mounted underneath: growing
 * the terminal shows it again as it was. Work a screen started runs on meanwhile: a backup in
 * create-wizard.test.tsx, a restore in restore-cancel.test.tsx (beside their held engines).
 */

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(33);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

const TOO_SMALL = /too small/i;

/** The frame is the one line about the size: it names both sizes and fits the width. */
function expectMessage(frame: string, columns: number, rows: number): void {
	const lines = frame.split('\n');
	expect(lines).toHaveLength(1);
	expect([...lines[0]!].length).toBeLessThanOrEqual(columns);
	expect(lines[0]).toMatch(TOO_SMALL);
	expect(lines[0]).toContain(`${columns}x${rows}`);
	expect(lines[0]).toContain('50x16');
}

/** Shrinks to columns x rows, waits for the message, and checks it. */
async function shrink(rendered: Rendered, columns: number, rows: number): Promise<void> {
	rendered.resize(columns, rows);
	expectMessage(await rendered.waitFor(frame => TOO_SMALL.test(frame) && frame.includes(`${columns}x${rows}`)), columns, rows);
}

/** Presses keys while too small: every frame drawn meanwhile is the message, and nothing quit. */
async function pressIgnored(rendered: Rendered, columns: number, rows: number, ...keys: string[]): Promise<void> {
	const mark = rendered.frameCount();
	await rendered.press(...keys);
	for (const frame of rendered.framesSince(mark)) expectMessage(frame, columns, rows);
	expectMessage(rendered.frame(), columns, rows);
	expect(rendered.exits).toEqual([]);
}

/** Create backup, walked to the name step with `name` typed over the suggested one. */
async function wizardAtName(rendered: Rendered, name: string): Promise<void> {
	await rendered.waitFor('What to back up');
	await rendered.press(KEY.enter);
	await rendered.waitFor('› All tenants');
	await rendered.press(KEY.enter, KEY.enter, KEY.enter);
	await rendered.waitFor('Folder to write the backup to');
	await rendered.press(KEY.enter);
	const suggested = (await rendered.waitFor('Backup name')).match(/› (lifeboat-backup-\S+)/)![1]!;
	await rendered.press(...Array.from(suggested, () => KEY.backspace));
	await rendered.press(name);
	await rendered.waitFor(`› ${name}`);
}

describe('a terminal smaller than 50x16', () => {
	test('Home: the message instead of the screen, Enter and arrows do nothing, and growing shows Home with its cursor', async () => {
		app = renderApp(gateway);
		await app.waitFor('Audit log');
		await app.press('j');
		await app.waitFor('› Browse backups');
		await shrink(app, 40, 12);
		// Enter would open the unseen "Browse backups"; the arrows would move the unseen cursor.
		await pressIgnored(app, 40, 12, KEY.enter, KEY.down, KEY.down, 'j', KEY.up, KEY.enter, KEY.escape, '?', 'd', 's');
		app.resize(80, 24);
		const home = await app.waitFor('Audit log');
		expect(home).toContain('› Browse backups');
		expect(home).not.toMatch(TOO_SMALL);
		expect(home).not.toContain('Keys of this screen');
		// The keys act again: Enter opens what the cursor is on.
		await app.press(KEY.enter);
		await app.waitFor('Lifeboat · Browse');
		expect(app.fatals).toEqual([]);
	});

	test('exactly at the boundary: 50x16 shows the screen; 49x16 and 50x15 show the message', async () => {
		app = renderApp(gateway, {columns: 50, rows: 16});
		let frame = await app.waitFor('› Create backup');
		expect(frame).not.toMatch(TOO_SMALL);
		await shrink(app, 49, 16);
		app.resize(50, 16);
		frame = await app.waitFor('› Create backup');
		expect(frame).not.toMatch(TOO_SMALL);
		await shrink(app, 50, 15);
		app.resize(50, 16);
		await app.waitFor('› Create backup');
		app.unmount();
		// Opened on a small terminal, it says so.
		for (const [columns, rows] of [
			[49, 16],
			[50, 15],
		] as const) {
			app = renderApp(gateway, {columns, rows});
			expectMessage(await app.waitFor(frame => TOO_SMALL.test(frame) && frame.includes(`${columns}x${rows}`)), columns, rows);
			app.unmount();
		}
		app = undefined;
	});

	test('the line is fitted to any width and still names both sizes where it can', async () => {
		app = renderApp(gateway);
		await app.waitFor('Audit log');
		await shrink(app, 120, 10);
		expect(app.frame()).toContain('Terminal too small: 120x10, Lifeboat needs 50x16. Enlarge it or press q to quit.');
		for (const [columns, rows] of [
			[49, 40],
			[30, 8],
		] as const) await shrink(app, columns, rows);
		app.resize(12, 4);
		// Too narrow for any wording: the shortest one, cut.
		const tiny = await app.waitFor(frame => frame.split('\n').length === 1 && [...frame].length <= 12);
		expect(tiny).toBe('Too small: …');
	});

	test('while work runs the line says so instead of offering q, at every width', () => {
		for (let columns = 1; columns < 100; columns++) {
			const line = tooSmallText({columns, rows: 10}, true);
			expect(textColumns(line)).toBeLessThanOrEqual(columns);
			expect(line).not.toMatch(/q quit|press q/);
			if (columns >= 38) expect(line).toMatch(/work run/);
		}
	});

	test('a half-filled wizard survives a shrink and a grow, typing included', async () => {
		app = renderApp(gateway, {route: {name: 'create'}});
		await wizardAtName(app, 'half-typed');
		await shrink(app, 45, 20);
		// Letters are not typed into the unseen field, Backspace does not erase, Enter does not submit.
		await pressIgnored(app, 45, 20, 'xyz', KEY.backspace, KEY.enter, KEY.escape, KEY.down);
		app.resize(80, 24);
		const back = await app.waitFor('Backup name');
		expect(back).toContain('› half-typed');
		expect(back).not.toContain('xyz');
		// Still the same field: typing carries on where it was.
		await app.press('-more');
		await app.waitFor('› half-typed-more');
	});

	test('q quits the console (0), even where it means back at a usable size; Ctrl+C still quits with 130', async () => {
		app = renderApp(gateway, {route: {name: 'create'}});
		await app.waitFor('What to back up');
		await shrink(app, 40, 12);
		await app.press('q');
		await waitUntil(() => app!.exits.length > 0, 'q quits');
		expect(app.exits).toEqual([0]);
		app.unmount();
		app = renderApp(gateway, {columns: 40, rows: 12});
		await app.waitFor(TOO_SMALL);
		await app.press(KEY.ctrlC);
		await waitUntil(() => app!.exits.length > 0, 'Ctrl+C quits');
		expect(app.exits).toEqual([130]);
	});
});
