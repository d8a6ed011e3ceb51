import chalk from 'chalk';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {createTheme} from '../../source/ui/theme.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

let gateway: GatewayChoice;
let app: Rendered | undefined;
const savedLevel = chalk.level;

beforeAll(async () => {
	gateway = await demoGateway(51);
	await makeBackup(gateway, {name: 'layout-one'});
});

afterEach(() => {
	app?.unmount();
	app = undefined;
	chalk.level = savedLevel;
});

afterAll(() => {
	chalk.level = savedLevel;
});

const widest = (frame: string) => Math.max(...frame.split('\n').map(line => [...line].length));

describe('layout', () => {
	test('at 80x24 every screen fits: no line wider than 80, at most 23 lines', async () => {
		app = renderApp(gateway);
		const home = await app.waitFor('Audit log');
		expect(widest(home)).toBeLessThanOrEqual(80);
		expect(home.split('\n').length).toBeLessThanOrEqual(23);
		await app.press('j', KEY.enter);
		const browse = await app.waitFor('layout-one');
		expect(widest(browse)).toBeLessThanOrEqual(80);
		await app.press(KEY.enter);
		const details = await app.waitFor('Made by');
		expect(widest(details)).toBeLessThanOrEqual(80);
		expect(details.split('\n').length).toBeLessThanOrEqual(23);
	});

	test('resizing smaller degrades without crashing; the key help stays visible; below 50x16 one line says so', async () => {
		app = renderApp(gateway);
		await app.waitFor('Audit log');
		app.resize(60, 16);
		let frame = await app.waitFor(frame => frame.split('\n').length <= 15);
		expect(frame).toContain('› Create backup');
		expect(frame).toContain('? help');
		expect(widest(frame)).toBeLessThanOrEqual(60);
		app.resize(50, 16);
		await app.press('j', KEY.enter);
		frame = await app.waitFor('Browse');
		expect(widest(frame)).toBeLessThanOrEqual(50);
		// Below the smallest size (test/ui/too-small covers it): the one line, not the screen.
		app.resize(40, 10);
		frame = await app.waitFor(frame => frame.includes('40x10'));
		expect(frame.split('\n')).toHaveLength(1);
		expect(widest(frame)).toBeLessThanOrEqual(40);
		app.resize(120, 40);
		frame = await app.waitFor(frame => widest(frame) > 80);
		expect(frame).toContain('Browse');
		expect(app.fatals).toEqual([]);
	});

	test('colours by default; none at all with NO_COLOR', async () => {
		chalk.level = 1;
		app = renderApp(gateway);
		await app.waitFor('Audit log');
		const coloured = app.lastFrame() ?? '';
		// SGR foreground colours: 30–37, 90–97 (level 1 = 16 colours).
		expect(coloured).toMatch(/\u001B\[(3[0-7]|9[0-7])m/);
		app.unmount();
		app = renderApp(gateway, {props: {theme: createTheme({NO_COLOR: '1'})}});
		await app.waitFor('Audit log');
		await app.press('j', KEY.enter);
		await app.waitFor('layout-one');
		for (const frame of app.frames) expect(frame).not.toMatch(/\u001B\[(3[0-7]|9[0-7]|38;)/);
	});
});
