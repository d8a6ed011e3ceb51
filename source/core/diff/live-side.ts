/**
 * A live gateway data dir read into the diff's scratch store, read only, inside one read
 * transaction (one instant, even while the gateway writes): each row and file encoded as a backup
 * made now would hold it (secrets redacted, credentials scrubbed, JSON redacted, agent files by
 * policy), so a backup compared with the store it was just made from shows no change.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {agentFolderFiles, redactJsonFile} from '../backup/plan-files.js';
import {scrubTextBytes} from '../redaction.js';
import {FILES_TABLE} from '../restore/restore-types.js';
import {prepareExact} from '../rows/exact-read.js';
import {codecFor, keyProblem} from '../rows/table-codec.js';
import {agentFilePolicy} from '../store/agent-files.js';
import {fileSharedWithAnotherTenant} from '../store/document-files.js';
import {documentFileName, documentTextName, isPathSegment} from '../store/gateway-paths.js';
import {openGateway, type GatewayStore} from '../store/gateway-store.js';
import {CATEGORIES, tableSpec, type CategoryId} from '../store/schema.js';
import type {DiffStore} from './diff-store.js';
import type {SidePlan} from './backup-side.js';
import {captureFile, captureRow, liveRowEncoding, rowHash, sha256} from './entity.js';

const MAX_WARNINGS = 50;

function warn(plan: SidePlan, text: string): void {
	if (plan.warnings.length < MAX_WARNINGS) plan.warnings.push(text);
}

async function hashFile(file: string): Promise<{size: number; sha256: string}> {
	const hash = crypto.createHash('sha256');
	let size = 0;
	for await (const chunk of fs.createReadStream(file, {highWaterMark: 1024 * 1024})) {
		hash.update(chunk as Buffer);
		size += (chunk as Buffer).length;
	}
	return {size, sha256: hash.digest('hex')};
}

export async function readLiveSide(diff: DiffStore, dataDir: string, plan: SidePlan): Promise<void> {
	const store = openGateway(dataDir, {readonly: true});
	try {
		// The first read pins the snapshot for every table and the file lists taken from rows.
		store.db.exec('BEGIN');
		try {
			for (const category of CATEGORIES) {
				if (!plan.categories.has(category.id)) continue;
				for (const table of category.tables) await readTable(diff, store, category.id, table, plan);
			}
			if (plan.categories.has('agents')) agentFiles(diff, store, plan);
			if (plan.categories.has('documents')) await documentFiles(diff, store, plan);
			await gatewayFiles(diff, store, plan);
		} finally {
			store.db.exec('COMMIT');
		}
	} finally {
		store.close();
	}
}

function scopeSql(table: string, plan: SidePlan): {where: string; params: string[]} {
	if (plan.scopeTenant === null) return {where: '', params: []};
	return {where: ` WHERE ${table === 'tenants' ? 'id' : 'tenant_id'} = ?`, params: [plan.scopeTenant]};
}

async function readTable(diff: DiffStore, store: GatewayStore, category: CategoryId, table: string, plan: SidePlan): Promise<void> {
	const codec = codecFor(tableSpec(table));
	const {where, params} = scopeSql(table, plan);
	const statement = prepareExact(store.db, table, codec.names, `SELECT ${codec.names.join(', ')}, _rowid_ FROM ${table}${where}`);
	let rows = 0;
	for (const values of statement.iterate(...params)) {
		const problem = keyProblem(values[0]) ?? keyProblem(values[1]);
		if (problem) {
			warn(plan, `${table}: a row whose id or tenant_id ${problem} cannot be backed up; not compared`);
			continue;
		}
		const id = values[0] as string;
		const encoded = liveRowEncoding(codec, [...values]);
		diff.add(plan.side, category, table, id, rowHash(encoded));
		if (id === plan.id) plan.captured.set(table, captureRow(category, codec, encoded, values));
		if (++rows % 5000 === 0) {
			plan.onProgress?.({side: plan.side === 1 ? 'A' : 'B', what: table, rows});
			await new Promise(resolve => setImmediate(resolve));
			if (plan.signal?.aborted) throw plan.signal.reason ?? new Error('aborted');
		}
	}
}

function addFile(diff: DiffStore, category: CategoryId, target: string, digest: {size: number; sha256: string}, owner: string | null, plan: SidePlan): void {
	if (!diff.add(plan.side, category, FILES_TABLE, target, Buffer.from(digest.sha256, 'hex'), owner)) return;
	if (target === plan.id) plan.captured.set(FILES_TABLE, captureFile(category, digest));
}

function bytesDigest(bytes: Buffer | string): {size: number; sha256: string} {
	return {size: Buffer.byteLength(bytes), sha256: sha256(bytes).toString('hex')};
}

/** Agent folders as a backup takes them (plan-files.ts): prose scrubbed, JSON redacted, anything else left out. */
function agentFiles(diff: DiffStore, store: GatewayStore, plan: SidePlan): void {
	const {where, params} = scopeSql('agents', plan);
	for (const id of store.db.prepare(`SELECT id FROM agents${where}`).pluck(true).iterate(...params) as Iterable<unknown>) {
		if (!isPathSegment(id)) continue;
		const dir = path.join(store.paths.agents, id);
		if (!fs.lstatSync(dir, {throwIfNoEntry: false})?.isDirectory()) continue;
		const warnings: string[] = [];
		for (const relative of agentFolderFiles(dir, `agents/${id}`, warnings)) {
			const file = path.join(dir, ...relative.split('/'));
			const policy = agentFilePolicy(relative);
			if (policy === 'skip') continue;
			let content: Buffer | string | undefined;
			if (policy === 'copy') content = scrubTextBytes(fs.readFileSync(file)).bytes;
			else content = redactJsonFile(file)?.text;
			if (content === undefined) {
				warn(plan, `agents/${id}/${relative}: not valid JSON (a backup leaves it out); not compared`);
				continue;
			}
			addFile(diff, 'agents', `agents/${id}/${relative}`, bytesDigest(content), id, plan);
		}
		for (const text of warnings) warn(plan, text);
	}
}

/** Document files and texts as a backup takes them: each file once, none that is also another tenant's. */
async function documentFiles(diff: DiffStore, store: GatewayStore, plan: SidePlan): Promise<void> {
	const {where, params} = scopeSql('documents', plan);
	const rows = prepareExact(store.db, 'documents', ['id', 'tenant_id', 'ext'], `SELECT id, tenant_id, ext, _rowid_ FROM documents${where}`);
	for (const [id, tenant, ext] of rows.iterate(...params)) {
		if (typeof id !== 'string' || typeof tenant !== 'string') continue;
		const name = documentFileName(id, ext);
		if (name && !fileSharedWithAnotherTenant(store.db, name, tenant)) {
			const file = path.join(store.paths.documentFiles, name);
			if (plan.documentFiles && fs.lstatSync(file, {throwIfNoEntry: false})?.isFile()) addFile(diff, 'documents', `documents/files/${name}`, await hashFile(file), id, plan);
		}
		const textName = documentTextName(id);
		const text = textName ? path.join(store.paths.documentText, textName) : undefined;
		if (text && fs.lstatSync(text, {throwIfNoEntry: false})?.isFile()) addFile(diff, 'documents', `documents/text/${textName}`, await hashFile(text), id, plan);
	}
}

/** Config, MCP and license files: JSON redacted as a backup writes it, others as they are. */
async function gatewayFiles(diff: DiffStore, store: GatewayStore, plan: SidePlan): Promise<void> {
	for (const category of CATEGORIES) {
		if (!plan.categories.has(category.id)) continue;
		for (const spec of category.files ?? []) {
			const file = path.join(store.paths.root, spec.path);
			if (!fs.statSync(file, {throwIfNoEntry: false})?.isFile()) continue;
			const json = spec.kind === 'json' ? redactJsonFile(file) : undefined;
			if (spec.kind === 'json' && !json) warn(plan, `${spec.path}: not valid JSON (a backup refuses it); compared as it is`);
			addFile(diff, category.id, spec.path, json ? bytesDigest(json.text) : await hashFile(file), null, plan);
		}
	}
}
