import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {stripVTControlCharacters} from 'node:util';
import {render} from 'ink-testing-library';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {TextField} from '../../source/ui/components/TextField.js';
import {unnamedFunctionKey, useInkInputGuard} from '../../source/ui/hooks/use-ink-input-guard.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, renderApp, settled, type Rendered} from './harness.js';

/**
 * Function keys Ink 6.8's parser cannot name: with Ctrl (Ctrl+F1…F4 as xterm and tmux send them, an
 * SGR sequence pasted with text) its useInput threw before any handler ran, and the console ended
 * (a backup running in it too); without, a text field typed them (`[28;2~`). Every such sequence
 * is dropped now; the keys around it work, named function keys still reach the screens.
 */

// Every legacy function-key shape with every modifier: ESC [ 1 ; m X, ESC O m X, ESC [ n ; m ~,
// and the SGR and other CSI sequences a paste of coloured text holds.
const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'];
const modifiers = Array.from({length: 16}, (_, index) => index + 1);
const corpus = [
	...modifiers.flatMap(modifier => letters.map(letter => `\x1b[1;${modifier}${letter}`)),
	...modifiers.flatMap(modifier => letters.map(letter => `\x1bO${modifier}${letter}`)),
	...modifiers.flatMap(modifier => Array.from({length: 34}, (_, code) => `\x1b[${code + 1};${modifier}~`)),
	...Array.from({length: 108}, (_, code) => `\x1b[${code}m`),
	'\x1b[38;5;196m',
	'\x1b[1;31m',
	'\x1b[[5A',
	'\x1b[[5~',
	'\x1bN5A',
	'\x1b\x1b[1;5S',
	'\x1b[2$',
	'\x1b[7^',
];

const clean = (frame: string | undefined) => stripVTControlCharacters(frame ?? '');

function Guarded({children}: {children: React.ReactNode}) {
	useInkInputGuard();
	return <>{children}</>;
}

let unmount: (() => void) | undefined;
let app: Rendered | undefined;
let gateway: GatewayChoice;

beforeAll(async () => {
	gateway = await demoGateway(41);
});

afterEach(() => {
	unmount?.();
	unmount = undefined;
	app?.unmount();
	app = undefined;
});

describe('Ctrl with a key Ink cannot name', () => {
	test('without the guard, Ink itself throws on Ctrl+F4 (the defect the guard is for)', async () => {
		const instance = render(<TextField label="Name" initialValue="" onSubmit={() => undefined} />);
		unmount = instance.unmount;
		await settled();
		expect(() => instance.stdin.write('\x1b[1;5S')).toThrow(/startsWith/);
	});

	test(`which keys are dropped: exactly the function keys Ink's own parser names none, of ${corpus.length} shapes, and control sequences no key sends`, async () => {
		// Ink's parser, from its package's files (not among its exports).
		const inkDir = path.dirname(createRequire(import.meta.url).resolve('ink'));
		const {default: parseKeypress} = (await import(pathToFileURL(path.join(inkDir, 'parse-keypress.js')).href)) as {default: (data: string) => {name?: string; sequence: string}};
		// Ink names none of these (undefined), or hands them on as text ('' with the sequence).
		const unnamed = (sequence: string) => {
			const key = parseKeypress(sequence);
			return key.name === undefined || (key.name === '' && key.sequence === sequence && sequence.startsWith('\x1b['));
		};
		for (const answer of ['\x1b[?1;2c', '\x1b[12;40R', '\x1b[>0;276;0c', '\x1b[?2004h']) {
			expect(unnamed(answer), answer).toBe(true);
			expect(unnamedFunctionKey(answer), answer).toBe(true);
		}
		const disagree = corpus.filter(sequence => unnamedFunctionKey(sequence) !== unnamed(sequence));
		expect(disagree).toEqual([]);
		expect(corpus.filter(sequence => !unnamedFunctionKey(sequence)).length).toBeGreaterThan(100);
		for (const plain of ['a', 'ab', '\r', '\x1b', '\x7f', '\x03', 'ünïcode', '[28;2~']) expect(unnamedFunctionKey(plain)).toBe(false);
	});

	test(`a text field takes every unnamed one of ${corpus.length} sequences without a crash or typing it, and the keys after them`, async () => {
		const instance = render(
			<Guarded>
				<TextField label="Name" initialValue="" onSubmit={() => undefined} />
			</Guarded>,
		);
		unmount = instance.unmount;
		await settled();
		instance.stdin.write('ab');
		await settled();
		// As Ink's input reader delivers them: whole CSI sequences (an SS3 one is ESC O and one byte).
		for (const sequence of corpus.filter(sequence => unnamedFunctionKey(sequence) && sequence.startsWith('\x1b['))) instance.stdin.write(sequence);
		await settled();
		instance.stdin.write('cd');
		await settled();
		expect(clean(instance.lastFrame())).toMatch(/› ?abcd\s*$/m);
		// Pasted coloured text: the letters come, the colour does not; nor a terminal's answer.
		instance.stdin.write('ef\x1b[31mgh\x1b[0m');
		await settled();
		instance.stdin.write('\x1b[?1;2c');
		await settled();
		expect(clean(instance.lastFrame())).toMatch(/› ?abcdefgh\s*$/m);
	});

	test('the console lives on: Ctrl+F1…F4 and a coloured paste on Home, then its keys still work', async () => {
		app = renderApp(gateway);
		await app.waitFor('Last backup');
		await app.press('\x1b[1;5P', '\x1b[1;5Q', '\x1b[1;5R', '\x1b[1;5S', '\x1b[31m\x1b[0m');
		expect(app.fatals).toEqual([]);
		expect(app.exits).toEqual([]);
		await app.press('q');
		expect(app.exits).toEqual([0]);
	});
});
