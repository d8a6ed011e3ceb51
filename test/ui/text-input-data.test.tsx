import fs from 'node:fs';
import path from 'node:path';
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, test} from 'vitest';
import {TextField} from '../../source/ui/components/TextField.js';
import {demoGateway, KEY, renderApp, settled, tempDir, type Rendered} from './harness.js';

/**
 * A text field's value can come from data (LIFEBOAT_BACKUP_DIR, a data dir, the working
 * directory): it is drawn as the terminal shows it (no ESC or BEL reaches the terminal, a line
 * break does not split the field over two rows), and the value edited and submitted is the real one.
 */
let app: Rendered | undefined;
let unmount: (() => void) | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
	unmount?.();
	unmount = undefined;
});

const RAW = /[\u001B\u0007\u009B]/;
const HOSTILE = 'gw\u001B[2J\u001B]2;PWNED\u0007\nline2';
const SHOWN = 'gw\\u{1B}[2J\\u{1B}]2;PWNED\\u{7}\\u{A}line2';

describe('a field whose value holds control characters', () => {
	test('draws it escaped on one row; Backspace and typing edit the real value, which is submitted', async () => {
		const submitted: string[] = [];
		const instance = render(<TextField label="Folder" initialValue={HOSTILE} onSubmit={value => submitted.push(value)} />);
		unmount = instance.unmount;
		await settled();
		const frame = instance.lastFrame() ?? '';
		expect(frame, frame).not.toMatch(RAW);
		const lines = frame.split('\n');
		expect(lines, frame).toHaveLength(2);
		expect(lines[1]).toContain(`› ${SHOWN}`);
		instance.stdin.write(KEY.backspace);
		await settled();
		instance.stdin.write('X');
		await settled();
		// (No colour in tests: the cursor is drawn without ESC, so the raw frame is plain text.)
		expect(instance.lastFrame() ?? '').not.toMatch(RAW);
		expect(instance.lastFrame()).toContain(`› ${SHOWN.slice(0, -1)}X`);
		instance.stdin.write(KEY.enter);
		await settled();
		expect(submitted).toEqual([HOSTILE.slice(0, -1) + 'X']);
	});

	test('Home’s Change data dir shows such a data dir escaped in the field, and Enter opens the real folder', async () => {
		const gateway = await demoGateway(5);
		const root = tempDir();
		const dataDir = path.join(root, HOSTILE);
		fs.renameSync(gateway.dataDir, dataDir);
		app = renderApp({...gateway, dataDir}, {columns: 60, rows: 18});
		await app.waitFor('› Create backup');
		await app.waitFor(frame => !frame.includes('Counting'));
		for (let index = 0; index < 4; index++) await app.press('j');
		await app.press(KEY.enter);
		const editing = await app.waitFor('Gateway data directory');
		const raw = app.lastFrame() ?? '';
		expect(raw, raw).not.toMatch(RAW);
		// The field is one row: the path's end and the hint under it, no row holding "line2" alone.
		const rows = editing.split('\n');
		const field = rows.findIndex(row => row.startsWith('›'));
		expect(rows[field], editing).toContain('\\u{A}line2');
		expect(rows[field + 1], editing).toContain('Enter opens it');
		expect(rows.some(row => row.startsWith('line2')), editing).toBe(false);
		await app.press(KEY.enter);
		const home = await app.waitFor(frame => !frame.includes('Gateway data directory') && /Tenants\s+2 ·/.test(frame));
		expect(home).not.toMatch(/not a gateway|cannot|No gateway/i);
		expect(app.lastFrame() ?? '').not.toMatch(RAW);
	});
});
