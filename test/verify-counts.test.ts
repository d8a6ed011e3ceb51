/**
 * A backup that verifies holds exactly what its metadata.json says: every listed category has
 * counts, with a row count for each of its tables and nothing else, no counts or entries of a
 * category it does not list, and each table's rows and each category's files and bytes as
 * counted. Archives are crafted from a real backup, with a correct manifest (the checksums all
 * pass), so only these checks can catch them: `backup verify` fails (exit 5) and restore refuses,
 * changing nothing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {LifeboatError} from '../source/core/errors.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {backupOf, demoGateway, freshGateway, resealDirBackup, storeDigest, walkFiles} from './restore-support.js';
import {runCli} from './helpers/run-cli.js';

type Counts = Record<string, {count: number; tables: Record<string, number>; files: number; bytes: number}>;
type Metadata = {categories: string[]; counts: Counts};

/** metadata.json edited, then manifest.json rewritten to match (so every checksum passes). */
function editMetadata(dir: string, edit: (metadata: Metadata) => void): void {
	const file = path.join(dir, 'metadata.json');
	const metadata = JSON.parse(fs.readFileSync(file, 'utf8')) as Metadata;
	edit(metadata);
	fs.writeFileSync(file, JSON.stringify(metadata, null, 2) + '\n');
	const manifestFile = path.join(dir, 'manifest.json');
	const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {files: Array<{path: string; size: number; sha256: string}>};
	manifest.files = walkFiles(dir)
		.filter(name => name !== 'manifest.json')
		.map(name => {
			const bytes = fs.readFileSync(path.join(dir, ...name.split('/')));
			return {path: name, size: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex')};
		});
	fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
}

async function failure(run: () => Promise<unknown>): Promise<string> {
	try {
		await run();
	} catch (error) {
		if (error instanceof LifeboatError) return `${error.code}: ${error.message}`;
		throw error;
	}
	return 'ok';
}

const CATEGORIES = ['users', 'agents', 'chats', 'webhooks', 'license'];

type Case = {name: string; edit: (metadata: Metadata) => void; problem: string; restorePass?: boolean};
const cases: Case[] = [
	{name: 'a category listed without counts', edit: m => delete m.counts['webhooks'], problem: 'metadata.json: categories lists webhooks but counts has no entry for it'},
	{name: 'a category listed twice', edit: m => m.categories.push('webhooks'), problem: 'metadata.json: categories lists webhooks twice'},
	{name: 'a table of a listed category missing from counts', edit: m => delete m.counts['chats']!.tables['messages'], problem: 'metadata.json: counts of chats has no row count for its table messages'},
	{name: 'counts of a category not listed, whose entries are in the archive', edit: m => m.categories.splice(m.categories.indexOf('license'), 1), problem: 'metadata.json: counts has an entry for "license", which categories does not list'},
	{
		name: 'counts of a category neither listed nor in the archive',
		edit: m => (m.counts['tools'] = {count: 0, tables: {tools: 0}, files: 0, bytes: 0}),
		problem: 'metadata.json: counts has an entry for "tools", which categories does not list',
	},
	{name: 'a table of another category in counts', edit: m => (m.counts['webhooks']!.tables['tools'] = 0), problem: 'metadata.json: counts of webhooks lists "tools", which is not a table of webhooks'},
	{
		name: 'a __proto__ table in counts',
		edit: m => Object.defineProperty(m.counts['webhooks']!.tables, '__proto__', {value: 0, enumerable: true}),
		problem: 'metadata.json: counts of webhooks lists "__proto__", which is not a table of webhooks',
	},
	{name: 'a headline count that is not the primary table\'s rows', edit: m => m.counts['webhooks']!.count++, problem: 'metadata.json: counts of webhooks: count HOOKS+1 is not its webhooks rows (HOOKS)'},
	{
		name: 'an entry of a category not listed (and not counted)',
		edit: m => {
			m.categories.splice(m.categories.indexOf('license'), 1);
			delete m.counts['license'];
		},
		problem: 'license/license.key: in the archive, but its category license is not one metadata.json lists',
	},
	{
		name: 'a table\'s rows',
		edit: m => {
			m.counts['webhooks']!.tables['webhooks']!++;
			m.counts['webhooks']!.count++;
		},
		problem: 'webhooks: HOOKS rows in the archive, metadata.json says HOOKS+1 (webhooks)',
		restorePass: true,
	},
	{name: 'a category\'s files', edit: m => m.counts['agents']!.files++, problem: 'agents: AGENTFILES files (FILEBYTES bytes) in the archive, metadata.json says AGENTFILES+1 (FILEBYTES bytes)', restorePass: true},
	{name: 'a category\'s bytes', edit: m => m.counts['chats']!.bytes--, problem: 'chats: 3 files (CHATBYTES bytes) in the archive, metadata.json says 3 (CHATBYTES-1 bytes)', restorePass: true},
];

describe('verify: the archive holds exactly what metadata.json says', () => {
	let dataDir: string;
	let metadata: Metadata;
	beforeAll(async () => {
		dataDir = await demoGateway({tenants: 1});
		const {path: dir} = await backupOf(dataDir, {format: 'dir', categories: CATEGORIES as never});
		metadata = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as Metadata;
	});

	it('an untouched backup (and one resealed after an edit) verifies and restores', async () => {
		const {path: dir} = await backupOf(dataDir, {format: 'dir', categories: CATEGORIES as never});
		resealDirBackup(dir);
		expect((await verifyBackup(plainFileSource(dir))).problems).toEqual([]);
		expect(await failure(() => applyRestore({source: plainFileSource(dir), dataDir: freshGateway()}))).toBe('ok');
	});

	for (const {name, edit, problem: template, restorePass} of cases) {
		it(`refuses a backup whose metadata.json disagrees about ${name}`, async () => {
			const {webhooks, agents, chats} = metadata.counts as Required<Counts>;
			const problem = template
				.replaceAll('HOOKS+1', String(webhooks!.count + 1))
				.replaceAll('HOOKS', String(webhooks!.count))
				.replaceAll('AGENTFILES+1', String(agents!.files + 1))
				.replaceAll('AGENTFILES', String(agents!.files))
				.replaceAll('FILEBYTES', String(agents!.bytes))
				.replace('CHATBYTES-1', String(chats!.bytes - 1))
				.replace('CHATBYTES', String(chats!.bytes));
			const {path: dir} = await backupOf(dataDir, {format: 'dir', categories: CATEGORIES as never});
			editMetadata(dir, edit);
			const source = plainFileSource(dir);
			const verified = await verifyBackup(source);
			expect({ok: verified.ok, code: verified.code, problems: verified.problems}).toEqual({ok: false, code: 'corrupt-archive', problems: [problem]});
			const cli = runCli(['backup', 'verify', dir]);
			expect(cli.code).toBe(5);
			expect(cli.stdout + cli.stderr).toContain(problem);
			const target = freshGateway();
			const before = storeDigest(target);
			// (A metadata.json problem is found before anything is read, and said as verify says it.)
			const refusal = problem.startsWith('metadata.json') ? `corrupt-archive: ${problem}` : `corrupt-archive: ${problem}; nothing was restored`;
			expect(await failure(() => applyRestore({source, dataDir: target}))).toBe(refusal);
			expect(storeDigest(target)).toEqual(before);
			// Restore's own pass checks the same counts when no separate verify runs.
			if (restorePass) expect(await failure(() => planRestore({source, dataDir: target, skipVerify: true}))).toBe(`corrupt-archive: ${problem}; nothing was restored`);
		});
	}
});
