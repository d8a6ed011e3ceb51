import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {RedactionNote} from '../archive/archive-format.js';
import {agentFileArchivePath, documentFileArchivePath, documentFileName, documentTextArchivePath, documentTextName, isPathSegment, isRelativeFilePath} from '../archive/archive-paths.js';
import {READ_LIMITS} from '../archive/entry-guard.js';
import {LifeboatError} from '../errors.js';
import {redactJsonText, scrubTextBytes} from '../redaction.js';
import {utf8Text} from '../json-text.js';
import {agentFilePolicy} from '../store/agent-files.js';
import type Database from 'better-sqlite3';
import {fileSharedWithAnotherTenant} from '../store/document-files.js';
import type {GatewayPaths} from '../store/gateway-paths.js';
import {CATEGORIES, type CategoryId} from '../store/schema.js';
import type {StoredValue} from '../rows/value-codec.js';
import {storedByName} from './compressibility.js';
import {compareCodeUnits} from '../format.js';

/**
 * A file that goes into the archive: where from, where to, and whether to store it undeflated
 * ('sample': as a sample of it says when it is written, compressibility.ts).
 */
export type PlannedEntry = {
	archivePath: string;
	file: string;
	category: CategoryId;
	size: number;
	store: boolean | 'sample';
	/** SHA-256 (hex) of the file's bytes, where the plan wrote them itself (a staged copy): an incremental need not read them again. */
	sha256?: string;
};

export type FilePlan = {entries: PlannedEntry[]; warnings: string[]; redacted: RedactionNote[]};

const sha256Hex = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

const quote = (text: string, max = 60) => JSON.stringify(text).slice(0, max);

/**
 * A JSON file as it goes into a backup: the file's own text with only its secrets rewritten
 * (redactJsonText, redaction/redact-json.ts), so everything else stays byte for byte; undefined if it is not
 * JSON in UTF-8, or nests deeper than json-text.ts's MAX_JSON_DEPTH.
 */
export function redactJsonFile(file: string): {text: string; keys: string[]} | undefined {
	// Restore reads JSON files whole, up to a limit: a larger one could be backed up but never restored.
	if (fs.statSync(file).size > READ_LIMITS.maxJsonFileBytes) return undefined;
	const text = utf8Text(fs.readFileSync(file));
	if (text === undefined) return undefined;
	try {
		const result = redactJsonText(text);
		return {text: result.text, keys: result.redacted};
	} catch {
		return undefined;
	}
}

/**
 * Every regular file of an agent's folder ('/'-separated relative paths, sorted). Links are never
 * followed (a link could lead anywhere, and restore writes plain files) and other special files
 * are not files: both are named in a warning, never dropped silently.
 */
export function agentFolderFiles(dir: string, label: string, warnings: string[]): string[] {
	const out: string[] = [];
	const walk = (current: string, prefix: string) => {
		let entries: fs.Dirent[];
		try {
			entries = fs.readdirSync(current, {withFileTypes: true});
		} catch (error) {
			warnings.push(`${label}/${prefix}: folder could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); its files were not backed up`);
			return;
		}
		for (const entry of entries.sort((a, b) => compareCodeUnits(a.name, b.name))) {
			const relative = `${prefix}${entry.name}`;
			if (entry.name.includes('\uFFFD') && !fs.lstatSync(path.join(current, entry.name), {throwIfNoEntry: false})) {
				warnings.push(`${label}/${quote(relative)}: file name is not valid UTF-8; not backed up`);
			} else if (entry.isDirectory()) walk(path.join(current, entry.name), `${relative}/`);
			else if (entry.isSymbolicLink()) warnings.push(`${label}/${relative}: a symbolic link; not backed up (links are not followed)`);
			else if (!entry.isFile()) warnings.push(`${label}/${relative}: not a regular file; not backed up`);
			else if (!isRelativeFilePath(relative)) warnings.push(`${label}/${quote(relative, 120)}…: path too long; not backed up`);
			else out.push(relative);
		}
	};
	walk(dir, '');
	return out;
}

/** Agent folders: prose copied (into staging, so a gateway rewriting it cannot tear it), JSON redacted, the rest skipped. */
export function planAgentFiles(paths: GatewayPaths, agentIds: readonly string[], stagingDir: string): FilePlan {
	const plan: FilePlan = {entries: [], warnings: [], redacted: []};
	let agentRedactions = 0;
	for (const agentId of agentIds) {
		// An id that cannot name a folder (empty, `..`, a slash) has no folder: the row travels alone.
		if (!isPathSegment(agentId)) continue;
		const dir = path.join(paths.agents, agentId);
		const stats = fs.lstatSync(dir, {throwIfNoEntry: false});
		if (!stats) continue;
		const label = `agents/${agentId}`;
		if (!stats.isDirectory()) {
			plan.warnings.push(`${label}: ${stats.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; its files were not backed up`);
			continue;
		}
		for (const relative of agentFolderFiles(dir, label, plan.warnings)) {
			const archivePath = agentFileArchivePath(agentId, relative);
			const source = path.join(dir, ...relative.split('/'));
			const policy = agentFilePolicy(relative);
			if (policy === 'skip') {
				plan.warnings.push(`${label}/${relative}: not backed up (only .md, .txt and .json agent files are; others may hold credentials)`);
				continue;
			}
			const staged = path.join(stagingDir, 'agent-files', String(plan.entries.length));
			fs.mkdirSync(path.dirname(staged), {recursive: true});
			let sha256: string;
			if (policy === 'copy') {
				// Agent files are small and rewritten in place by a running gateway: take a copy now so
				// the archive holds one consistent version with a known size. Prose gets pasted
				// credentials too: they are scrubbed like free text and listed.
				const scrubbed = scrubTextBytes(fs.readFileSync(source));
				fs.writeFileSync(staged, scrubbed.bytes);
				sha256 = sha256Hex(scrubbed.bytes);
				if (scrubbed.count > 0) plan.redacted.push({category: 'agents', field: `${label}/${relative}:line ${scrubbed.lines.join(',')}`, count: scrubbed.count, action: 're-enter on restore'});
			} else {
				const json = redactJsonFile(source);
				if (!json) {
					plan.warnings.push(`${label}/${relative}: not valid JSON in UTF-8 (or over 32 MiB, or nested over 512 levels), not backed up (it could not be checked for secrets)`);
					continue;
				}
				fs.writeFileSync(staged, json.text);
				sha256 = sha256Hex(Buffer.from(json.text, 'utf8'));
				agentRedactions += json.keys.length;
			}
			plan.entries.push({archivePath, file: staged, category: 'agents', size: 0, store: false, sha256});
		}
	}
	if (agentRedactions > 0) plan.redacted.push({category: 'agents', field: 'agents/<id>/*.json', count: agentRedactions, action: 're-enter on restore'});
	return plan;
}

/** Document files and extracted texts, each file once even if two rows name it. */
export function planDocumentFiles(paths: GatewayPaths, documents: ReadonlyArray<{id: string; tenant: string; ext: StoredValue}>, db: Database.Database): FilePlan {
	const plan: FilePlan = {entries: [], warnings: [], redacted: []};
	const taken = new Set<string>();
	for (const document of documents) {
		const name = documentFileName(document.id, document.ext);
		if (!name) {
			plan.warnings.push(`document ${quote(document.id)}: id and extension do not make a usable file name; row kept, no file looked for`);
		} else if (fileSharedWithAnotherTenant(db, name, document.tenant)) {
			// Ids and extensions may hold dots: this file is also another tenant's document's.
			plan.warnings.push(`document ${quote(document.id)}: its file documents/files/${name} is also another tenant's document's; not backed up`);
		} else if (taken.has(name)) {
			plan.warnings.push(`document ${quote(document.id)}: shares the file documents/files/${name} with another document; it is backed up once`);
		} else {
			taken.add(name);
			const raw = path.join(paths.documentFiles, name);
			const stats = fs.lstatSync(raw, {throwIfNoEntry: false});
			if (stats?.isFile()) {
				const ext = String(document.ext);
				plan.entries.push({archivePath: documentFileArchivePath(document.id, ext), file: raw, category: 'documents', size: 0, store: storedByName(ext, stats.size)});
			} else {
				plan.warnings.push(`document ${quote(document.id)}: ${stats ? 'file is a link or not a regular file' : 'file missing in the data directory'}, row kept without it`);
			}
		}
		const textName = documentTextName(document.id);
		const text = textName ? path.join(paths.documentText, textName) : undefined;
		if (text && textName && !taken.has(`text:${textName}`) && fs.lstatSync(text, {throwIfNoEntry: false})?.isFile()) {
			taken.add(`text:${textName}`);
			plan.entries.push({archivePath: documentTextArchivePath(document.id), file: text, category: 'documents', size: 0, store: false});
		}
	}
	return plan;
}

/** Gateway-level files (config, MCP, license) of the selected categories; JSON redacted into staging. */
export function planGatewayFiles(root: string, categories: readonly CategoryId[], stagingDir: string): FilePlan {
	const plan: FilePlan = {entries: [], warnings: [], redacted: []};
	for (const category of CATEGORIES) {
		if (!categories.includes(category.id)) continue;
		for (const spec of category.files ?? []) {
			const source = path.join(root, spec.path);
			if (!fs.existsSync(source)) {
				if (!spec.optional) plan.warnings.push(`${spec.path}: not found in the data directory`);
				continue;
			}
			let file = source;
			if (spec.kind === 'json') {
				const result = redactJsonFile(source);
				if (!result) throw new LifeboatError('not-a-gateway', `${spec.path} is not valid JSON in UTF-8 (or over 32 MiB, or nested over 512 levels); fix it or leave the ${category.id} category out (--categories)`);
				if (result.keys.length > 0) {
					plan.redacted.push({category: category.id, field: `${spec.archivePath}:${result.keys.join(',')}`, count: result.keys.length, action: 're-enter on restore'});
				}
				file = path.join(stagingDir, spec.archivePath);
				fs.mkdirSync(path.dirname(file), {recursive: true});
				fs.writeFileSync(file, result.text);
			}
			plan.entries.push({archivePath: spec.archivePath, file, category: category.id, size: 0, store: spec.kind === 'opaque'});
		}
	}
	return plan;
}

/**
 * A folder backup stores each archive path as real folders and files: a name that escaping made
 * longer than the file system allows is refused up front, with the way out.
 */
export function refuseOverlongFolderNames(entries: readonly PlannedEntry[]): void {
	for (const entry of entries) {
		const long = entry.archivePath.split('/').find(segment => Buffer.byteLength(segment, 'utf8') > 255);
		if (long) {
			throw new LifeboatError('usage', `${entry.archivePath.slice(0, 80)}…: a name is ${Buffer.byteLength(long, 'utf8')} bytes once escaped, too long for a folder backup; use --format zip or tar.gz`);
		}
	}
}
