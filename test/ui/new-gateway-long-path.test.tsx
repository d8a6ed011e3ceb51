import path from 'node:path';
import {afterEach, expect, test} from 'vitest';
import {demoGateway, KEY, makeBackup, quiet, renderApp, tempDir, type Rendered} from './harness.js';
import {installOverlapProbe, lastCollisions} from './overlap-probe.js';

/**
 * After a restore into a new gateway folder with a long path, the summary shows the path on one
 * row (cut at its start, its end visible) and both choices under it; before, the path wrapped
 * over rows the layout had not reserved and pushed the choices out of the body.
 */
let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

test('the new gateway’s long folder is one row at 60x18; Open the new gateway and Home both show', async () => {
	await installOverlapProbe();
	const gateway = await demoGateway(47);
	const backup = await makeBackup(gateway, {name: 'small'});
	const target = path.join(tempDir(), 'rebuilt-' + 'gateway-folder-'.repeat(8) + 'end');
	const [columns, rows] = [60, 18];
	app = renderApp(gateway, {route: {name: 'restore', backupPath: backup.path, encrypted: false}, columns, rows});
	await app.waitFor('[x] Users', 20_000);
	await app.press('n');
	await app.waitFor('Folder for the new gateway');
	await app.press(target, KEY.enter);
	await app.waitFor('› Additive');
	await app.press(KEY.enter);
	await app.waitFor('r restore now', 30_000);
	await app.press('r');
	await app.waitFor('✓ New gateway restored', 30_000);
	await quiet(app);
	const frame = app.frame();
	const lines = frame.split('\n');
	expect(lines.length, frame).toBeLessThanOrEqual(rows);
	expect(frame, frame).toContain('Open the new gateway');
	expect(frame, frame).toMatch(/^\s*Home\s*$/m);
	expect(frame, frame).not.toContain('more line');
	// The path: one row, its end whole, its start cut.
	const pathRows = lines.filter(line => line.includes('gateway-folder-'));
	expect(pathRows, frame).toHaveLength(1);
	expect(pathRows[0]!.trimEnd(), frame).toMatch(/^….*gateway-folder-end$/);
	expect(lastCollisions(), frame).toEqual([]);
});
