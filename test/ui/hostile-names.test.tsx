import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import stringWidth from 'string-width';
import {afterEach, describe, expect, test} from 'vitest';
import {confirmationWord, initialRestoreState} from '../../source/ui/state/restore-wizard.js';
import {columns as textColumns, fit, fitPath, lineWithPath, wrapWords} from '../../source/ui/text-fit.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import type {RestorePlan} from '../../source/core/restore/index.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/** Names a gateway can legally hold that a terminal would obey rather than print, or lay out wider than they count. */
const HOSTILE = {
	sgr: 'clr\u001b[41mbg',
	osc: 'osc\u001b]2;PWNED-TITLE\u0007x',
	link: 'Link \u001b]8;;http://evil.example\u001b\\click\u001b]8;;\u001b\\ me',
	overwrite: 'cr\rback\bbell\u0007',
	lines: 'multi\nline\ttab',
	wide: 'レストア用バックアップ東京本社データセンター部門管理グループ全体',
	emoji: '👨‍👩‍👧‍👦🇯🇵 family',
};

function renameTenants(gateway: GatewayChoice, names: string[]): void {
	const db = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	try {
		const ids = (db.prepare('SELECT id FROM tenants ORDER BY id').all() as Array<{id: string}>).map(row => row.id);
		names.slice(0, ids.length).forEach((name, index) => db.prepare('UPDATE tenants SET name = ?, slug = ? WHERE id = ?').run(name, `${name}-${index}`, ids[index]));
	} finally {
		db.close();
	}
}

/**
 * A frame as the terminal gets it is safe: no control character but the line breaks (ink-testing-library
 * renders without colour, so any ESC is the data's), no row wider than the terminal, no more rows than it has.
 */
function expectSafeFrame(frame: string, columns: number, rows: number): void {
	const unsafe = [...frame].filter(char => /[\p{Cc}\p{Cf}]/u.test(char) && char !== '\n');
	expect(unsafe.map(char => char.codePointAt(0)!.toString(16)), frame).toEqual([]);
	const lines = frame.split('\n');
	expect(lines.length, frame).toBeLessThanOrEqual(rows);
	for (const line of lines) expect(stringWidth(line), `${line}\n\n${frame}`).toBeLessThanOrEqual(columns);
}

describe('names a terminal would obey are shown, never obeyed; wide ones are measured in columns', () => {
	test('text-fit: every result is one row of at most its width, in columns, and escapes controls', () => {
		for (const text of Object.values(HOSTILE)) {
			for (const width of [1, 2, 5, 12, 30, 80]) {
				for (const cell of [fit(text, width), fit(text, width, 'right'), fitPath(text, width)]) {
					expect(cell).not.toMatch(/[\p{Cc}\p{Cf}]/u);
					expect(textColumns(cell)).toBeLessThanOrEqual(width);
				}
				expect(textColumns(fit(text, width))).toBe(width);
				const line = lineWithPath('into ', text, ' · now', width);
				expect(line).not.toMatch(/[\p{Cc}\p{Cf}]/u);
				expect(textColumns(line)).toBeLessThanOrEqual(Math.max(width, 16));
				// A character two columns wide still takes a row of its own at width 1.
				for (const wrapped of wrapWords(`${text} and more words`, width)) expect(textColumns(wrapped)).toBeLessThanOrEqual(Math.max(width, 2));
			}
		}
		// A path's end (its extension) stays visible however wide its characters.
		expect(fitPath(`/backups/${HOSTILE.wide}.zip`, 20)).toMatch(/\.zip$/);
		expect(fit(HOSTILE.sgr, 40).trimEnd()).toBe('clr\\u{1B}[41mbg');
	});

	test('Home, Create and Browse at 80x24 and 50x16 with such tenant names and backup file names', async () => {
		const gateway = await demoGateway(26);
		renameTenants(gateway, [HOSTILE.sgr, HOSTILE.lines]);
		const backup = await makeBackup(gateway, {name: 'plain'});
		for (const name of [HOSTILE.osc, HOSTILE.overwrite, HOSTILE.wide, HOSTILE.lines]) fs.copyFileSync(backup.path, path.join(gateway.backupDir, `${name}.zip`));
		for (const [columns, rows] of [
			[80, 24],
			[50, 16],
		] as const) {
			app = renderApp(gateway, {columns, rows});
			expectSafeFrame(await app.waitFor('clr\\u{1B}[41mbg'), columns, rows);
			app.unmount();
			app = renderApp(gateway, {route: {name: 'create'}, columns, rows});
			await app.waitFor('What to back up');
			await app.press(KEY.enter);
			expectSafeFrame(await app.waitFor('multi\\u{A}line'), columns, rows);
			app.unmount();
			app = renderApp(gateway, {route: {name: 'browse'}, columns, rows});
			const browse = await app.waitFor(frame => frame.includes('osc\\u{1B}]2;') && frame.includes('レストア'));
			expectSafeFrame(browse, columns, rows);
			app.unmount();
			app = undefined;
		}
	});

	test('Home at 50x16: the menu pages, so its cursor is always on screen (Quit included)', async () => {
		const gateway = await demoGateway(27);
		app = renderApp(gateway, {columns: 50, rows: 16});
		await app.waitFor('› Create backup');
		for (let press = 0; press < 7; press++) await app.press('j');
		const frame = await app.waitFor('› Quit');
		expectSafeFrame(frame, 50, 16);
		expect(frame).not.toContain('more lines below');
	});

	test('a replace into a tenant whose slug holds controls asks for it as shown, which can be typed', () => {
		const state = {...initialRestoreState(), mode: 'replace' as const, plan: {mode: 'replace', targetTenant: {id: 't1', slug: HOSTILE.sgr, exists: true}} as unknown as RestorePlan};
		expect(confirmationWord(state)).toBe('clr\\u{1B}[41mbg');
		const blank = {...state, plan: {...state.plan!, targetTenant: {id: 't1', slug: '  ', exists: true}} as unknown as RestorePlan};
		expect(confirmationWord(blank)).toBe('replace');
	});
});
