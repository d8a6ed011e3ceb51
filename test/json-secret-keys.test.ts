/**
 * A secret used as a JSON object's key (a map keyed by API key, a URL with its password, a bearer
 * token) never reaches a backup nor the paths its redaction notes name: the key is renamed to what
 * scrubText makes of it, unique in its object, and a restore over a live file that still holds
 * the key gives it back, byte for byte. Replay a failure with LIFEBOAT_PROPERTY_SEED=<seed>.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {redactJson, redactJsonText, scrubText} from '../source/core/redaction.js';
import {flattenJson, fileChanges} from '../source/core/restore/conflict-detail.js';
import {applyRestore} from '../source/core/restore/index.js';
import {mergeRedacted, mergeRedactedText} from '../source/core/restore/json-merge.js';
import {createGateway} from '../source/core/store/gateway-store.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {HARMLESS_TEXTS, SECRET_FORMS} from './helpers/secret-corpus.js';
import {tempDir} from './helpers/temp-dir.js';
import {workRatio} from './helpers/work-ratio.js';

const runs = Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 0) || 60;
const seed = process.env['LIFEBOAT_PROPERTY_SEED'] ? Number(process.env['LIFEBOAT_PROPERTY_SEED']) : undefined;

const API_KEY = 'sk-proj-LEAKkey0123456789abcdefABCDEF';
const OTHER_KEY = 'ghp_LEAKother0123456789abcdefABCDEFghij';

/** Keys that are secrets: each form of the corpus (its secrets must all go), and bare credentials scrubText knows alone. */
const SECRET_KEYS: ReadonlyArray<{key: string; secrets: readonly string[]}> = [
	...SECRET_FORMS.map(form => ({key: form.text, secrets: form.secrets})),
	...[API_KEY, OTHER_KEY].map(key => ({key, secrets: [key.slice(key.indexOf('LEAK'))]})),
];
const API_NAME = scrubText(API_KEY);
const OTHER_NAME = scrubText(OTHER_KEY);
const leaked = (text: string, keys: ReadonlyArray<{secrets: readonly string[]}>) => keys.flatMap(({secrets}) => secrets.filter(secret => text.includes(secret)));

describe('a secret used as a JSON key', () => {
	it('is renamed in the backup text, its value kept, and the notes name the new key', () => {
		const text = `{"keys": {"${API_KEY}": {"owner": "ann", "password": "hunter2"}, "public": 1}, "n": 2}`;
		const result = redactJsonText(text);
		expect(API_NAME).toBe(`sk-${REDACTED_MARKER}`);
		expect(result.text).toBe(`{"keys": {"${API_NAME}": {"owner": "ann", "password": "${REDACTED_MARKER}"}, "public": 1}, "n": 2}`);
		expect(result.redacted).toEqual([`keys.${API_NAME}`, `keys.${API_NAME}.password`]);
		expect(redactJsonText(result.text)).toEqual({text: result.text, redacted: []});
	});

	it('two secret keys in one object get distinct names; a key written twice keeps one name for both copies', () => {
		const second = 'sk-proj-LEAKsecond0123456789abcdefABCDEF';
		const text = `{"${API_KEY}": 1, "${second}": 2, "${API_NAME} #2": 3, "${API_KEY}": 4}`;
		const {text: redacted} = redactJsonText(text);
		expect(redacted).toBe(`{"${API_NAME}": 1, "${API_NAME} #3": 2, "${API_NAME} #2": 3, "${API_NAME}": 4}`);
		const expected = {[API_NAME]: 4, [`${API_NAME} #3`]: 2, [`${API_NAME} #2`]: 3};
		expect(JSON.parse(redacted)).toEqual(expected);
		expect(redactJson(JSON.parse(text)).value).toEqual(expected);
		// A restore over the live file gives each key back, duplicates copy for copy.
		expect(mergeRedactedText(redacted, text)).toMatchObject({text, unresolved: []});
		expect(mergeRedacted(JSON.parse(redacted), JSON.parse(text))).toEqual({value: JSON.parse(text), unresolved: []});
	});

	it('a key with a credential inside keeps the rest of its text; with no live file to take it from, the key is to re-enter', () => {
		const text = '{"servers": {"https://deploy:Hunter2Secret@git.example.com/repo.git": {"branch": "main"}}}';
		const {text: redacted, redacted: notes} = redactJsonText(text);
		const renamed = scrubText('https://deploy:Hunter2Secret@git.example.com/repo.git');
		expect(renamed).not.toContain('Hunter2Secret');
		expect(redacted).toBe(`{"servers": {${JSON.stringify(renamed)}: {"branch": "main"}}}`);
		expect(notes).toEqual([`servers.${renamed}`]);
		expect(mergeRedactedText(redacted, undefined).unresolved).toEqual([`servers.${renamed}`]);
		// A live file whose key was rotated: the live key is kept, the backup's value restored under it.
		const rotated = '{"servers": {"https://deploy:NewSecret99@git.example.com/repo.git": {"branch": "dev"}}}';
		expect(mergeRedactedText(redacted, rotated).text).toBe('{"servers": {"https://deploy:NewSecret99@git.example.com/repo.git": {"branch": "main"}}}');
	});

	it('keys renamed alike are given back in order only when the live object has as many; else they stay renamed, to re-enter', () => {
		const [k1, k2, k3] = ['sk-proj-LEAKone0123456789abcdefABCDEF', 'sk-proj-LEAKtwo0123456789abcdefABCDEF', 'sk-proj-LEAKthree123456789abcdefABCDEF'];
		const original = `{"${k1}": {"owner": "alice", "admin": true}, "${k2}": {"owner": "bob", "admin": false}}`;
		const {text: redacted} = redactJsonText(original);
		expect(redacted).toBe(`{"${API_NAME}": {"owner": "alice", "admin": true}, "${API_NAME} #2": {"owner": "bob", "admin": false}}`);
		expect(mergeRedactedText(redacted, original)).toMatchObject({text: original, unresolved: []});
		// A key added since: which live key each backed-up one was cannot be told; none is guessed, none dropped silently.
		const added = `{"${k3}": {"owner": "carol"}, "${k1}": {"owner": "alice", "admin": true}, "${k2}": {"owner": "bob", "admin": false}}`;
		expect(mergeRedactedText(redacted, added)).toMatchObject({text: redacted, unresolved: [API_NAME, `${API_NAME} #2`]});
		expect(mergeRedactedText(redacted, `{"${k1}": {"owner": "alice"}}`).unresolved).toEqual([API_NAME, `${API_NAME} #2`]);
	});

	it('a number after a renamed key that would read as a value is written after the marker: renaming twice changes nothing', () => {
		for (const tail of [' --token', ' --password', ' password:', ' password=', ' PGPASSWORD=', ' Authorization:', ' --cookie']) {
			const text = `{"${API_KEY}${tail}": 1, "${OTHER_KEY}${tail}": 2, "sk-proj-LEAKthird0123456789abcdefAB${tail}": 3}`;
			const once = redactJsonText(text).text;
			expect(leaked(once, SECRET_KEYS), once).toEqual([]);
			expect(redactJsonText(once).text, tail).toBe(once);
			expect(Object.keys(JSON.parse(once))).toHaveLength(3);
			expect(mergeRedactedText(once, text).text).toBe(text);
		}
	});

	it('renaming and merging are linear in the keys, also when all rename alike', () => {
		const document = (count: number) => `{${Array.from({length: count}, (_, index) => `"sk-proj-LEAK${String(index).padStart(8, '0')}abcdefABCDEFabcd": ${index}`).join(',')}}`;
		const [small, large] = [document(500), document(4000)];
		const [smallRedacted, largeRedacted] = [redactJsonText(small).text, redactJsonText(large).text];
		expect(workRatio(() => redactJsonText(small), () => redactJsonText(large), 3)).toBeLessThan(24);
		expect(workRatio(() => mergeRedactedText(smallRedacted, small), () => mergeRedactedText(largeRedacted, large), 3)).toBeLessThan(24);
		expect(mergeRedactedText(largeRedacted, large).text).toBe(large);
	});

	it('a side-by-side view shows the live key as a backup names it, and the changed paths by that name', () => {
		const live = {clients: {[API_KEY]: {scope: 'read'}}};
		const backup = {clients: {[API_NAME]: {scope: 'write'}}};
		expect(flattenJson(live)).toEqual({[`clients.${API_NAME}.scope`]: 'read'});
		expect(fileChanges(Buffer.from(JSON.stringify(backup)), Buffer.from(JSON.stringify(live)), {kind: 'json'} as never)).toEqual([`clients.${API_NAME}.scope`]);
		// A backup that holds a secret as it was (made before it was redacted) still shows its change.
		expect(fileChanges(Buffer.from('{"password": "oldpass"}'), Buffer.from('{"password": "newpass"}'), {kind: 'json'} as never)).toEqual(['password']);
	});

	it('property: secret keys never reach the text or the notes, other keys stay, and a restore over the live file gives its bytes back', () => {
		const secretKey = fc.constantFrom(...SECRET_KEYS);
		const plainKey = fc.oneof(fc.constantFrom(...HARMLESS_TEXTS, 'name', '__proto__', '', REDACTED_MARKER, `${REDACTED_MARKER} #2`), fc.string({maxLength: 12}));
		const value = fc.oneof(fc.integer().map(String), fc.constantFrom('true', 'null', '"plain text"', '[]', '{}'));
		const key = fc.oneof(secretKey.map(entry => ({...entry, secret: true})), plainKey.map(key => ({key, secrets: [] as string[], secret: false})));
		const {object} = fc.letrec<{object: string; member: [{key: string; secrets: readonly string[]; secret: boolean}, string]}>(tie => ({
			member: fc.tuple(key, fc.oneof({depthSize: 'small'}, value, tie('object'))),
			object: fc.array(tie('member'), {maxLength: 5}).map(members => `{${members.map(([{key}, inner]) => `${JSON.stringify(key)}: ${inner}`).join(', ')}}`),
		}));
		fc.assert(
			fc.property(fc.array(fc.tuple(key, object), {minLength: 1, maxLength: 6}), members => {
				const text = `{${members.map(([{key}, inner]) => `${JSON.stringify(key)}:${inner}`).join(',\n')}}\n`;
				const used = SECRET_KEYS.filter(entry => text.includes(JSON.stringify(entry.key).slice(1, -1)));
				const result = redactJsonText(text);
				expect(leaked(result.text, used), result.text).toEqual([]);
				expect(leaked(result.redacted.join('\n'), used)).toEqual([]);
				expect(redactJsonText(result.text).text).toBe(result.text);
				// As many members as before in every object (no two keys merged into one).
				const count = (value: unknown): number => (value && typeof value === 'object' ? Object.keys(value).length + Object.values(value).reduce<number>((sum, child) => sum + count(child), 0) : 0);
				expect(count(JSON.parse(result.text))).toBe(count(JSON.parse(text)));
				for (const [{key, secret}] of members) if (!secret && JSON.stringify(key) !== JSON.stringify(REDACTED_MARKER)) expect(Object.keys(JSON.parse(result.text))).toContain(key);
				expect(mergeRedactedText(result.text, text)).toMatchObject({text, unresolved: []});
			}),
			{numRuns: runs * 5, seed},
		);
	});
});

describe('keys redaction does not look at', () => {
	it('a word of up to 18 letters, digits and underscores is never changed by scrubText (redactedKeys skips it)', () => {
		const near = ['hf_0123456789abcde', 'AKIA01234567890123', 'ghp_0123456789abcd', 'npm_0123456789abcd', 'gsk_0123456789abcd', 'sk_live_0123456789', 'dapi0123456789abcd', 'glc_0123456789abcd'];
		for (const key of near) expect(scrubText(key), key).toBe(key);
		fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_]{0,18}$/), key => scrubText(key) === key), {numRuns: runs * 50, seed});
	});
});

describe('a gateway config keyed by secrets, through a backup and back', () => {
	it('the archive holds no secret key; a fresh gateway gets the renamed keys; a replace over the live file gives its bytes back', async () => {
		const config = `{\n  "Clients": {\n    "${API_KEY}": {"Owner": "billing", "Scopes": ["read"]},\n    "${OTHER_KEY}": {"Owner": "ci"}\n  },\n  "Logging": {"Level": "Info"}\n}\n`;
		const source = path.join(tempDir('lifeboat-jsonkeys-'), 'gateway');
		createGateway(source).close();
		fs.writeFileSync(path.join(source, 'appsettings.json'), config);
		const out = path.join(tempDir('lifeboat-jsonkeys-bk-'), 'backup');
		const backup = await createBackup({dataDir: source, out, format: 'dir', categories: ['config']});
		const files = fs.readdirSync(backup.path, {recursive: true, withFileTypes: true}).filter(entry => entry.isFile());
		const bytes = Buffer.concat(files.map(entry => fs.readFileSync(path.join(entry.parentPath, entry.name))));
		expect(bytes.includes('LEAKkey')).toBe(false);
		expect(bytes.includes('LEAKother')).toBe(false);

		const fresh = path.join(tempDir('lifeboat-jsonkeys-fresh-'), 'gateway');
		createGateway(fresh).close();
		await applyRestore({source: plainFileSource(backup.path), dataDir: fresh});
		expect(JSON.parse(fs.readFileSync(path.join(fresh, 'appsettings.json'), 'utf8'))).toEqual({
			Clients: {[API_NAME]: {Owner: 'billing', Scopes: ['read']}, [OTHER_NAME]: {Owner: 'ci'}},
			Logging: {Level: 'Info'},
		});

		fs.writeFileSync(path.join(source, 'appsettings.json'), config.replace('"Info"', '"Debug"'));
		await applyRestore({source: plainFileSource(backup.path), dataDir: source, mode: 'replace'});
		expect(fs.readFileSync(path.join(source, 'appsettings.json'), 'utf8')).toBe(config);
	});
});
