import fs from 'node:fs';
import path from 'node:path';
import {afterEach, expect, test} from 'vitest';
import {demoGateway, makeBackup, renderApp, type Rendered} from './harness.js';

/**
 * Home's "Last backup" names the newest backup that can be read. Before, a newer file that is not
 * a backup (a text file named notes.zip, a truncated archive) was shown as the last backup.
 */

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

test('a newer unreadable file in the backups folder is not the last backup', async () => {
	const gateway = await demoGateway(43);
	await makeBackup(gateway, {name: 'b-real', now: new Date('2026-01-01T10:00:00Z')});
	fs.writeFileSync(path.join(gateway.backupDir, 'notes.zip'), 'hello\n');
	fs.writeFileSync(path.join(gateway.backupDir, 'cut.zip'), fs.readFileSync(path.join(gateway.backupDir, 'b-real.zip')).subarray(0, 200));
	app = renderApp(gateway);
	const frame = await app.waitFor(/Last backup\s+[^…\s]/);
	const line = frame.split('\n').find(text => text.startsWith('Last backup'));
	expect(line).toMatch(/Last backup\s+b-real · /);
});

test('a folder holding only unreadable files has no backup yet', async () => {
	const gateway = await demoGateway(44);
	fs.writeFileSync(path.join(gateway.backupDir, 'notes.zip'), 'hello\n');
	app = renderApp(gateway);
	const frame = await app.waitFor(/Last backup\s+[^…\s]/);
	expect(frame).toContain(`none yet in ${gateway.backupDir}`);
});
