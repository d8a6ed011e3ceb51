import path from 'node:path';
import type {Key} from 'ink';
import {describe, expect, test} from 'vitest';
import {helpText, matchCommand} from '../../source/ui/keys.js';
import {browseReducer, initialBrowseState, shortAge} from '../../source/ui/state/browse.js';
import {backupOptions, createWizardReducer, initialCreateState, outputPath, reviewLines, type CreateAction, type CreateWizardState} from '../../source/ui/state/create-wizard.js';
import {initialWindow, moveBy, moveTo} from '../../source/ui/state/list-window.js';
import {transferFigures} from '../../source/ui/state/progress-math.js';
import {fit, fitPath} from '../../source/ui/text-fit.js';
import {createTheme} from '../../source/ui/theme.js';

const run = (state: CreateWizardState, ...actions: CreateAction[]) => actions.reduce(createWizardReducer, state);
const fresh = () => initialCreateState({destDir: '/backups', name: 'nightly'});
const key = (over: Partial<Key> = {}): Key => ({upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false, ...over}) as Key;

describe('create wizard reducer', () => {
	test('everything → all tenants → zip → no encryption → review builds the engine options', () => {
		const state = run(fresh(), {type: 'scope', scope: 'all'}, {type: 'tenant', tenant: null}, {type: 'format', format: 'zip'}, {type: 'encryption', encryption: 'none'}, {type: 'submit'}, {type: 'submit'});
		expect(state.step).toBe('review');
		expect(backupOptions(state, '/data', undefined)).toEqual({dataDir: '/data', destDir: path.resolve('/backups'), name: 'nightly', format: 'zip', categories: undefined, tenant: undefined});
		expect(outputPath(state)).toBe(path.resolve('/backups/nightly.zip'));
	});

	test('picked categories need at least one; one tenant leaves gateway-wide files out unless picked', () => {
		let state = run(fresh(), {type: 'scope', scope: 'pick'}, {type: 'categories', categories: []});
		expect(state.step).toBe('categories');
		expect(state.error).toMatch(/at least one/);
		state = run(state, {type: 'categories', categories: ['users', 'config']}, {type: 'tenant', tenant: {id: 'ten_acme', slug: 'acme'}});
		expect(reviewLines(state)[0]).toEqual(['Categories', 'Users, Gateway config']);
		const all = run(fresh(), {type: 'scope', scope: 'all'}, {type: 'tenant', tenant: {id: 'ten_acme', slug: 'acme'}});
		expect(reviewLines(all)[0]![1]).toBe('everything (15 categories)');
	});

	test('passphrase typed twice: a mismatch clears both and starts the pair again', () => {
		let state = run(fresh(), {type: 'scope', scope: 'all'}, {type: 'tenant', tenant: null}, {type: 'format', format: 'tar.gz'}, {type: 'encryption', encryption: 'passphrase'});
		expect(state.step).toBe('passphrase');
		state = run(state, {type: 'submit'});
		expect(state.error).toMatch(/must not be empty/);
		state = run(state, {type: 'edit', field: 'passphrase', value: 'one two three'}, {type: 'submit'}, {type: 'edit', field: 'passphraseConfirm', value: 'two three four'}, {type: 'submit'});
		expect(state).toMatchObject({step: 'passphrase', passphrase: '', passphraseConfirm: '', error: expect.stringMatching(/do not match/)});
		state = run(state, {type: 'edit', field: 'passphrase', value: 'one two three'}, {type: 'submit'}, {type: 'edit', field: 'passphraseConfirm', value: 'one two three'}, {type: 'submit'});
		expect(state.step).toBe('destination');
		expect(outputPath(state)).toBe(path.resolve('/backups/nightly.tar.gz.enc'));
		expect(backupOptions(state, '/data', 'one two three').passphrase).toBe('one two three');
		expect(JSON.stringify(reviewLines(state))).not.toContain('one two three');
		// Esc from the destination goes back to the first passphrase prompt, not the second.
		state = run(state, {type: 'back'});
		expect(state).toMatchObject({step: 'passphrase', passphrase: ''});
	});

	test('a folder backup skips the encryption question; names are file names', () => {
		let state = run(fresh(), {type: 'scope', scope: 'all'}, {type: 'tenant', tenant: null}, {type: 'format', format: 'dir'});
		expect(state.step).toBe('destination');
		expect(state.encryption).toBe('none');
		state = run(state, {type: 'submit'}, {type: 'edit', field: 'name', value: 'a/b'}, {type: 'submit'});
		expect(state.error).toMatch(/must not contain/);
		state = run(state, {type: 'edit', field: 'name', value: '.hidden'}, {type: 'submit'});
		expect(state.error).toMatch(/dot/);
		state = run(state, {type: 'back'}, {type: 'back'});
		expect(state.step).toBe('format');
	});

	test('start only from review; failure returns to review with the error', () => {
		const review = run(fresh(), {type: 'scope', scope: 'all'}, {type: 'tenant', tenant: null}, {type: 'format', format: 'zip'}, {type: 'encryption', encryption: 'none'}, {type: 'submit'}, {type: 'submit'});
		expect(run(fresh(), {type: 'start'}).step).toBe('scope');
		const failed = run(review, {type: 'start'}, {type: 'failed', error: 'disk full'});
		expect(failed).toMatchObject({step: 'review', error: 'disk full'});
		expect(run(review, {type: 'start'}, {type: 'back'}).step).toBe('running');
	});
});

describe('browse reducer', () => {
	test('prompts return where they were opened', () => {
		let state = initialBrowseState('/b');
		state = browseReducer(state, {type: 'details'});
		state = browseReducer(state, {type: 'prompt', mode: 'copy', draft: '/tmp'});
		expect(state).toMatchObject({mode: 'copy', base: 'details', draft: '/tmp'});
		state = browseReducer(state, {type: 'close'});
		expect(state.mode).toBe('details');
		state = browseReducer(state, {type: 'prompt', mode: 'confirm-delete'});
		state = browseReducer(state, {type: 'deleted'});
		expect(state.mode).toBe('list');
		state = browseReducer(state, {type: 'folder', destDir: '/other'});
		expect(state).toMatchObject({mode: 'list', destDir: '/other'});
	});

	test('short ages fit four columns', () => {
		const now = Date.parse('2026-03-01T00:00:00Z');
		expect(shortAge('2026-03-01T00:00:00Z', now)).toBe('now');
		expect(shortAge('2026-02-28T23:55:00Z', now)).toBe('5m');
		expect(shortAge('2026-02-28T21:00:00Z', now)).toBe('3h');
		expect(shortAge('2026-02-20T00:00:00Z', now)).toBe('9d');
		expect(shortAge('2025-11-01T00:00:00Z', now)).toBe('4mo');
		expect(shortAge('2023-01-01T00:00:00Z', now)).toBe('3y');
	});
});

describe('list window', () => {
	test('keeps the cursor in view and clamps at both ends', () => {
		let state = initialWindow;
		state = moveBy(state, 'up', 1000, 10);
		expect(state).toEqual({cursor: 0, offset: 0});
		state = moveTo(state, 15, 1000, 10);
		expect(state).toEqual({cursor: 15, offset: 6});
		state = moveBy(state, 'last', 1000, 10);
		expect(state).toEqual({cursor: 999, offset: 990});
		state = moveBy(state, 'pageUp', 1000, 10);
		expect(state).toEqual({cursor: 990, offset: 990});
		state = moveBy(state, 'first', 1000, 10);
		expect(state).toEqual({cursor: 0, offset: 0});
		expect(moveTo({cursor: 5, offset: 3}, 5, 0, 10)).toEqual(initialWindow);
	});
});

describe('progress figures', () => {
	test('bytes, files, rate and ETA', () => {
		const figures = transferFigures({bytesDone: 10 * 1024 * 1024, bytesTotal: 40 * 1024 * 1024, filesDone: 5, filesTotal: 20, elapsedMs: 2000});
		expect(figures).toEqual({ratio: 0.25, bytes: '10.0 MB / 40.0 MB', files: '5 / 20 files', rate: '5.0 MB/s', eta: '6.0 s'});
		expect(transferFigures({bytesDone: 1, bytesTotal: 10, elapsedMs: 100}).rate).toBeUndefined();
	});
});

describe('keys, text, theme', () => {
	test('commands come from one table; q is a letter while typing, Esc still goes back', () => {
		expect(matchCommand('j', key(), ['up', 'down'])).toBe('down');
		expect(matchCommand('', key({upArrow: true}), ['up', 'down'])).toBe('up');
		expect(matchCommand('q', key(), ['back'])).toBe('back');
		expect(matchCommand('q', key(), ['back'], true)).toBeUndefined();
		expect(matchCommand('', key({escape: true}), ['back'], true)).toBe('back');
		expect(helpText(['up', 'down', 'select', 'back']).replaceAll('\u00A0', ' ')).toBe('↑↓/jk move · Enter select · Esc/q back');
		expect(helpText(['select', 'back'], true).replaceAll('\u00A0', ' ')).toBe('Enter confirm · Esc back');
	});

	test('cells and paths fit their width', () => {
		expect(fit('abcdef', 4)).toBe('abc…');
		expect(fit('ab', 4, 'right')).toBe('  ab');
		expect(fitPath('/very/long/path/file.zip', 12)).toBe('…th/file.zip');
	});

	test('NO_COLOR turns every colour off', () => {
		const plain = createTheme({NO_COLOR: '1'});
		expect(plain.color).toBe(false);
		expect(Object.entries(plain).filter(([name, value]) => name !== 'color' && value !== undefined)).toEqual([]);
		expect(createTheme({}).error).toBe('red');
		expect(createTheme({NO_COLOR: ''}).color).toBe(true);
	});
});
