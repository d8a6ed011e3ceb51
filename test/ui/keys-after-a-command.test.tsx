import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, makeBackup, renderApp, settled, type Rendered} from './harness.js';

/**
 * A key that opens something (a prompt, another screen) takes the keyboard away from the screen
 * that handled it: the keys that arrived with it in the same read (fast typing, a paste) must not
 * be read as that screen's commands. Before, "c" followed by a path in one read opened the copy
 * prompt and then ran r (restore), v (verify), d (delete) or q (quit) from the letters of the path.
 */

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(41);
	await makeBackup(gateway, {name: 'b-one', now: new Date('2026-01-01T10:00:00Z')});
	await makeBackup(gateway, {name: 'b-two', now: new Date('2026-01-02T10:00:00Z')});
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

describe('keys in the same read as a key that opens something', () => {
	for (const typed of ['/tmp/rv/x', '/srv/dump/v', '/home/q/copies']) {
		test(`Browse: "c${typed}" in one read opens the copy prompt and nothing else`, async () => {
			app = renderApp(gateway, {route: {name: 'browse'}});
			await app.waitFor('› b-two');
			await app.press(`c${typed}`);
			const frame = await app.waitFor('Copy b-two.zip to');
			expect(frame).toContain('Lifeboat · Browse');
			await app.waitFor(`${[...typed].length} keys ignored`);
			expect(frame).not.toContain('Delete b-two');
			expect(frame).not.toContain('Verifying');
			expect(app.exits).toEqual([]);
		});
	}

	test('Browse details: "c" then a path with r in one read stays on Browse', async () => {
		app = renderApp(gateway, {route: {name: 'browse'}});
		await app.waitFor('› b-two');
		await app.press('\r');
		await app.waitFor('Scope');
		await app.press('c/var/run/x');
		const frame = await app.waitFor('Copy b-two.zip to');
		expect(frame).toContain('Lifeboat · Browse');
	});
});

describe('an action key in the same read as a list move', () => {
	// The list and the screen read keys separately: the screen's r, v or d saw the backup the cursor
	// was on before the read, not the one the j's of the same read moved it to. Browse now reads the
	// list's keys itself, so the action applies to the backup the moves reached (keys-after-a-move).
	const reached: Record<string, RegExp> = {r: /Restore · .*c-one\.zip/, v: /Verif(ying|ied)/, d: /Delete c-one\.zip/};
	for (const action of ['r', 'v', 'd']) {
		test(`Browse: "jj${action}" in one read acts on the backup the moves reached, never on the one the cursor left`, async () => {
			const extra = await demoGateway(42);
			await makeBackup(extra, {name: 'c-one', now: new Date('2026-01-01T10:00:00Z')});
			await makeBackup(extra, {name: 'c-two', now: new Date('2026-01-02T10:00:00Z')});
			await makeBackup(extra, {name: 'c-three', now: new Date('2026-01-03T10:00:00Z')});
			app = renderApp(extra, {route: {name: 'browse'}});
			await app.waitFor('› c-three');
			const mark = app.frameCount();
			await app.press(`jj${action}`);
			await app.waitFor(reached[action]!);
			await settled();
			const seen = app.framesSince(mark).join('\n');
			expect(seen).not.toContain('c-three.zip');
			expect(seen).not.toContain('c-two.zip');
			expect(seen).not.toContain('Delete c-three');
			expect(seen).not.toContain('Delete c-two');
			expect(seen).not.toContain('ignored');
		});
	}
});
