import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {verifyBackup} from '../../source/core/backup/verify-backup.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {createWizardReducer, initialCreateState, reviewLines, type CreateWizardState} from '../../source/ui/state/create-wizard.js';
import {demoGateway, KEY, renderApp, type Rendered} from './harness.js';

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(27);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

function atPassphrase(passphrase: string): CreateWizardState {
	let state = initialCreateState({destDir: '/tmp/x', name: 'n'});
	state = createWizardReducer(state, {type: 'scope', scope: 'all'});
	state = createWizardReducer(state, {type: 'tenant', tenant: null});
	state = createWizardReducer(state, {type: 'format', format: 'zip'});
	state = createWizardReducer(state, {type: 'encryption', encryption: 'passphrase'});
	return createWizardReducer(state, {type: 'edit', field: 'passphrase', value: passphrase});
}

describe('a weak passphrase in the create wizard (reducer)', () => {
	test('a weak one asks; n goes back to typing; y moves on; an edit asks again', () => {
		const asked = createWizardReducer(atPassphrase('abc'), {type: 'submit'});
		expect(asked).toMatchObject({step: 'passphrase', weakPassphrase: 'ask'});
		const declined = createWizardReducer(asked, {type: 'weak', use: false});
		expect(declined).toMatchObject({step: 'passphrase', weakPassphrase: undefined, passphrase: 'abc'});
		const accepted = createWizardReducer(asked, {type: 'weak', use: true});
		expect(accepted).toMatchObject({step: 'passphrase-confirm', weakPassphrase: 'accepted'});
		const edited = createWizardReducer(createWizardReducer(declined, {type: 'edit', field: 'passphrase', value: 'abcd'}), {type: 'submit'});
		expect(edited.weakPassphrase).toBe('ask');
		// A mismatch on the second prompt starts over: the yes is asked for again.
		const mismatch = createWizardReducer(createWizardReducer(accepted, {type: 'edit', field: 'passphraseConfirm', value: 'abd'}), {type: 'submit'});
		expect(mismatch).toMatchObject({step: 'passphrase', passphrase: '', weakPassphrase: undefined});
	});

	test('a fair or strong one goes straight to the second prompt; the review names the strength', () => {
		expect(createWizardReducer(atPassphrase('correct horse'), {type: 'submit'})).toMatchObject({step: 'passphrase-confirm', weakPassphrase: undefined});
		expect(reviewLines(atPassphrase('correct horse battery'))).toContainEqual(['Encryption', 'passphrase (typed, strong, AES-256-GCM)']);
		expect(reviewLines(atPassphrase('abc'))).toContainEqual(['Encryption', 'passphrase (typed, weak, AES-256-GCM)']);
	});
});

describe('a weak passphrase in the create wizard (console)', () => {
	test('strength shown as typed; a weak one needs y; n keeps the text to change it; the backup opens with it', async () => {
		app = renderApp(gateway, {route: {name: 'create'}});
		await app.waitFor('What to back up');
		await app.press(KEY.enter);
		await app.waitFor('› All tenants');
		await app.press(KEY.enter);
		await app.waitFor('› zip (default)');
		await app.press(KEY.enter);
		await app.waitFor('› None');
		await app.press('j', KEY.enter);
		await app.waitFor('Passphrase (needed to restore');
		await app.press('abc');
		await app.waitFor('Strength: weak (only 3 characters; use 12 or more)');
		await app.press(KEY.enter);
		const asked = await app.waitFor('Weak passphrase — press y to use it anyway, n to change it');
		expect(asked).toMatch(/y yes · n no/);
		// While asking, other keys neither type nor leave.
		await app.press('q', 'x');
		expect(app.frame()).toContain('› ***');
		expect(app.frame()).not.toContain('› ****');
		await app.press('n');
		await app.waitFor(frame => !frame.includes('Weak passphrase'));
		await app.press('X9');
		await app.waitFor('› *****');
		await app.press(KEY.enter);
		await app.waitFor('Weak passphrase — press y');
		await app.press('y');
		await app.waitFor('Type the passphrase again');
		await app.press('abcX9', KEY.enter);
		await app.waitFor('Folder to write the backup to');
		await app.press(KEY.enter);
		await app.waitFor('Backup name');
		await app.press(KEY.ctrlU, 'weak-one', KEY.enter);
		const review = await app.waitFor('Review');
		expect(review).toMatch(/Encryption\s+passphrase \(typed, weak, AES-256-GCM\)/);
		await app.press(KEY.enter);
		await app.waitFor('✓ Backup written', 30_000);
		const file = path.join(gateway.backupDir, 'weak-one.zip.enc');
		expect((await verifyBackup(await openBackupSource(file, {passphrase: 'abcX9'}))).ok).toBe(true);
	});

	test('a strong one shows "Strength: strong" and asks nothing', async () => {
		app = renderApp(gateway, {route: {name: 'create'}});
		await app.waitFor('What to back up');
		await app.press(KEY.enter);
		await app.waitFor('› All tenants');
		await app.press(KEY.enter);
		await app.waitFor('› zip (default)');
		await app.press(KEY.enter);
		await app.waitFor('› None');
		await app.press('j', KEY.enter);
		await app.waitFor('Passphrase (needed to restore');
		await app.press('Correct-Horse1');
		await app.waitFor('Strength: strong');
		await app.press(KEY.enter);
		await app.waitFor('Type the passphrase again');
	});
});
