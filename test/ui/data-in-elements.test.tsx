import Database from 'better-sqlite3';
import path from 'node:path';
import {Text as InkText} from 'ink';
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, test} from 'vitest';
import {Text} from '../../source/ui/components/Text.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

/**
 * Data that reaches a Text inside a fragment or an element (`<>… {slug} …</>`) is escaped like a
 * plain string child: ink-testing-library draws without colour, so any ESC or BEL in a raw frame
 * came from the data and would have been obeyed by the terminal.
 */
let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

const RAW = /[\u001B\u0007\u009B]/;

describe('data inside fragments and elements is shown, never obeyed', () => {
	test('Text escapes strings in a fragment, a nested fragment, an array and Ink’s own Text', () => {
		const osc = 'a\u001B]2;PWNED\u0007b';
		const view = render(
			<Text>
				<>
					one {osc} two
					<>
						{[osc, <>{osc}</>]}
						<InkText>{osc}</InkText>
					</>
				</>
			</Text>,
		);
		const frame = view.lastFrame() ?? '';
		view.unmount();
		expect(frame).not.toMatch(RAW);
		expect(frame.split('a\\u{1B}]2;PWNED\\u{7}b').length - 1).toBe(4);
	});

	test('the replace confirmation names a tenant whose slug holds OSC and SGR escapes as text', async () => {
		const slug = 'acme\u001B]2;PWNED-TITLE\u0007\u001B[41mRED';
		const gateway = await demoGateway(44);
		let db = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
		db.prepare(`UPDATE tenants SET slug = ? WHERE slug = 'acme-corp'`).run(slug);
		db.close();
		await makeBackup(gateway, {name: 'acme-x', tenant: slug});
		db = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
		db.prepare(`UPDATE memory_entries SET content = 'edited live' WHERE id IN (SELECT id FROM memory_entries ORDER BY id LIMIT 3)`).run();
		db.close();
		app = renderApp(gateway, {route: {name: 'restore'}, columns: 80, rows: 24});
		await app.waitFor('› acme-x.zip');
		await app.press(KEY.enter);
		await app.waitFor('[x] Users');
		await app.press(KEY.enter);
		await app.waitFor('› Same tenant');
		await app.press(KEY.enter);
		await app.waitFor('› Additive');
		await app.press('j');
		await app.waitFor('› Replace');
		await app.press(KEY.enter);
		await app.waitFor('Replace of acme-x');
		await app.press('r');
		await app.waitFor('Confirm replace');
		const confirm = await app.waitFor('Replace deletes');
		const raw = app.lastFrame() ?? '';
		expect(raw, raw).not.toMatch(RAW);
		// The sentence wraps after "tenant": the slug is there as text, before the category count.
		expect(confirm.replaceAll('\n', ' ')).toContain('in tenant acme\\u{1B}]2;PWNED-TITLE\\u{7}\\u{1B}[41mRED (');
	});
});
