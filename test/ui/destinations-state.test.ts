import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {createWizardReducer, initialCreateState, outputPath, type CreateWizardState} from '../../source/ui/state/create-wizard.js';
import {browseReducer, initialBrowseState} from '../../source/ui/state/browse.js';
import {choiceProblem, describeWhere, destinationChoices, fitWhere, isLocalWhere, OTHER_CHOICE, typedDestination} from '../../source/ui/state/destinations.js';

const NAMED = [
	{name: 'offsite', url: 's3://ui-test/x/', s3Endpoint: 'http://127.0.0.1:9'},
	{name: 'nas', url: '/mnt/nas/backups'},
	{name: 'broken', url: 'ftp://nope/'},
];

describe('destination choices', () => {
	test('the backup folder first, each named one, then another path or URL', () => {
		const choices = destinationChoices('/backups', NAMED);
		expect(choices.map(choice => [choice.key, choice.where, choice.url, choice.remote])).toEqual([
			[':local', '/backups', '/backups', false],
			['name:offsite', 'offsite', 's3://ui-test/x/', true],
			// A named local folder is read as that folder.
			['name:nas', '/mnt/nas/backups', '/mnt/nas/backups', false],
			['name:broken', 'broken', 'ftp://nope/', true],
			[':other', '', '', false],
		]);
		expect(choices[3]!.problem).toMatch(/unknown scheme ftp:/);
		expect(choices.at(-1)).toBe(OTHER_CHOICE);
	});

	test('a remote one cannot take a folder (dir) backup, and says why; a local one can', () => {
		const [local, offsite] = destinationChoices('/backups', NAMED);
		expect(choiceProblem(offsite!, 'dir')).toMatch(/folder \(dir\) backups can only go to a local folder/);
		expect(choiceProblem(offsite!, 'zip')).toBeUndefined();
		expect(choiceProblem(local!, 'dir')).toBeUndefined();
	});

	test('typed: a name, a URL, a path (~ and relative resolved); errors are one line', () => {
		expect(typedDestination(' offsite ', NAMED)).toMatchObject({where: 'offsite', url: 's3://ui-test/x/', remote: true});
		expect(typedDestination('s3://ui-test/y', NAMED)).toMatchObject({where: 's3://ui-test/y', url: 's3://ui-test/y/', remote: true});
		expect(typedDestination('~/b', NAMED)).toMatchObject({where: path.join(os.homedir(), 'b'), remote: false});
		expect(typedDestination('rel', NAMED)).toMatchObject({where: path.resolve('rel'), remote: false});
		expect(() => typedDestination('', NAMED)).toThrow(/Type a folder, a URL/);
		expect(() => typedDestination('ftp://x/', NAMED)).toThrow(/unknown scheme ftp:/);
		expect(() => typedDestination('s3://ui-test/x/a.zip', NAMED)).toThrow(/names one backup; type its folder or prefix/);
		expect(() => typedDestination('broken', NAMED)).toThrow(/unknown scheme/);
	});

	test('any typed text is a choice or one line of error, never anything else', () => {
		fc.assert(
			fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.constantFrom('s3://', 'sftp://u@h/', 'azblob://a/', 'offsite', '~')), text => {
				try {
					const choice = typedDestination(text, NAMED);
					expect(typeof choice.where).toBe('string');
					expect(choice.where.length).toBeGreaterThan(0);
				} catch (error) {
					expect((error as Error).name).toBe('LifeboatError');
					expect((error as Error).message).not.toContain('\n');
				}
			}),
		);
	});

	test('where: a plain folder is local; a name or URL is opened; a name reads as "name · URL"', () => {
		expect(isLocalWhere('/backups', NAMED)).toBe(true);
		expect(isLocalWhere('offsite', NAMED)).toBe(false);
		expect(isLocalWhere('s3://ui-test/x/', NAMED)).toBe(false);
		expect(isLocalWhere('elsewhere', NAMED)).toBe(true);
		expect(describeWhere('offsite', NAMED)).toBe('offsite · s3://ui-test/x/');
		expect(describeWhere('/backups', NAMED)).toBe('/backups');
	});
});

describe('create wizard: the destination step', () => {
	const atDestination = (format: 'zip' | 'dir' = 'zip'): CreateWizardState => {
		let state = initialCreateState({destDir: '/backups', name: 'nightly'});
		state = createWizardReducer(state, {type: 'scope', scope: 'all'});
		state = createWizardReducer(state, {type: 'tenant', tenant: null});
		state = createWizardReducer(state, {type: 'format', format});
		if (format !== 'dir') state = createWizardReducer(state, {type: 'encryption', encryption: 'none'});
		expect(state.step).toBe('destination');
		return state;
	};

	test('a remote choice: the review and output say its URL', () => {
		const offsite = destinationChoices('/backups', NAMED)[1]!;
		const state = createWizardReducer(atDestination(), {type: 'destination', choice: offsite});
		expect(state).toMatchObject({step: 'name', destDir: 'offsite', destUrl: 's3://ui-test/x/', destRemote: true});
		expect(outputPath(state)).toBe('s3://ui-test/x/nightly.zip');
		// Back, then the local folder: a path again.
		const back = createWizardReducer(state, {type: 'back'});
		const local = createWizardReducer(back, {type: 'destination', choice: destinationChoices('/backups', NAMED)[0]!});
		expect(outputPath(local)).toBe(path.resolve('/backups/nightly.zip'));
	});

	test('a folder backup to a remote choice is refused with why, and stays on the step', () => {
		const state = createWizardReducer(atDestination('dir'), {type: 'destination', choice: destinationChoices('/backups', NAMED)[1]!});
		expect(state.step).toBe('destination');
		expect(state.error).toMatch(/folder \(dir\) backups can only go to a local folder/);
	});

	test('"another path or URL" opens the field with the current choice; Esc comes back to the list', () => {
		const offsite = destinationChoices('/backups', NAMED)[1]!;
		let state = createWizardReducer(atDestination(), {type: 'destination', choice: offsite});
		state = createWizardReducer(createWizardReducer(state, {type: 'back'}), {type: 'other'});
		expect(state).toMatchObject({step: 'destination-other', destTyped: 's3://ui-test/x/'});
		expect(createWizardReducer(state, {type: 'back'}).step).toBe('destination');
	});
});

describe('browse: the switcher', () => {
	test('s opens it over the list; a pick reads there; Esc goes back to where it was opened', () => {
		let state = initialBrowseState('/backups');
		state = browseReducer(state, {type: 'prompt', mode: 'switch'});
		expect(state.mode).toBe('switch');
		expect(browseReducer(state, {type: 'close'}).mode).toBe('list');
		state = browseReducer(state, {type: 'folder', destDir: 'offsite'});
		expect(state).toMatchObject({mode: 'list', destDir: 'offsite'});
	});
});

describe('the Browse title', () => {
	test('keeps a named destination whole and cuts its URL from the start, at any width', () => {
		const named = [{name: 'vault', url: 'sftp://root@127.0.0.1:40813/tmp/lifeboat-sshd-abcdef/root/tmux/'}];
		const fit = (text: string, width: number) => ([...text].length <= width ? text : '…' + [...text].slice(-(width - 1)).join(''));
		fc.assert(
			fc.property(fc.integer({min: 12, max: 120}), width => {
				const title = fitWhere('vault', named, width, fit);
				expect([...title].length).toBeLessThanOrEqual(width);
				expect(title.startsWith('vault · ')).toBe(true);
			}),
		);
		expect(fitWhere('/srv/backups', named, 40, fit)).toBe('/srv/backups');
	});
});
