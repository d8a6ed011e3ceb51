import {afterEach, beforeAll, expect, test} from 'vitest';
import {demoGateway, quiet, renderApp, type Rendered} from './harness.js';
import {installOverlapProbe, lastCollisions} from './overlap-probe.js';

/**
 * Home on a short terminal (16 rows) once the counts are read: the counts beside the menu take no
 * more rows than the body has left, so the menu's page line ("3–8 of 8") is not pushed out of the
 * body (before, the counts kept at least one row per menu item and the body overflowed by one).
 */
let app: Rendered | undefined;

beforeAll(async () => {
	await installOverlapProbe();
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

test('Home at 50x16 and 60x16 with the counts read: the menu’s page line shows, nothing is hidden or drawn over', async () => {
	const gateway = await demoGateway(5);
	for (const [columns, rows] of [
		[50, 16],
		[60, 16],
	] as const) {
		app = renderApp(gateway, {columns, rows});
		await app.waitFor('› Create backup');
		await app.waitFor(frame => !frame.includes('Counting') && /Users\s+\d/.test(frame));
		await quiet(app);
		const frame = app.frame();
		expect(frame, frame).toMatch(/\d+–\d+ of \d+/);
		expect(frame, frame).not.toContain('more line');
		expect(frame.split('\n').length, frame).toBeLessThanOrEqual(rows);
		expect(lastCollisions(), frame).toEqual([]);
		app.unmount();
		app = undefined;
	}
});
