import fs from 'node:fs';
import path from 'node:path';
import {MANIFEST_PATH, METADATA_PATH, TWO_FACTOR_BLOCK_PATH} from '../archive/archive-format.js';
import {DAILY_LOG_DIR} from '../backup/dump-tables.js';
import {LifeboatError} from '../errors.js';
import {CATEGORIES, TABLES, type CategoryId, type GatewayFileSpec, type TableSpec} from '../store/schema.js';
import {agentFilePolicy} from '../store/agent-files.js';
import {assertSafeExt, assertSafeId, isSafeExt, isSafeId} from '../store/safe-ids.js';
import type {IdMapper} from './id-map.js';

/** What an archive entry is, for restore. */
export type EntryRoute =
	| {kind: 'metadata'}
	| {kind: 'manifest'}
	| {kind: 'two-factor'; category: 'users'}
	| {kind: 'table'; category: CategoryId; table: TableSpec}
	| {kind: 'agent-file'; category: 'agents'; ownerId: string; rest: string}
	| {kind: 'document-file'; category: 'documents'; ownerId: string; ext: string}
	| {kind: 'document-text'; category: 'documents'; ownerId: string}
	| {kind: 'gateway-file'; category: CategoryId; spec: GatewayFileSpec}
	/** Under agents/ or documents/ but not a shape a backup writes (bad id, extension or path). */
	| {kind: 'unsafe'; reason: string}
	| {kind: 'unknown'};

export type FileRoute = Extract<EntryRoute, {kind: 'agent-file' | 'document-file' | 'document-text' | 'gateway-file'}>;

const TABLE_BY_PATH = new Map(TABLES.filter(table => table.name !== 'memory_daily_logs').map(table => [table.archivePath, table]));
const DAILY_LOGS = TABLES.find(table => table.name === 'memory_daily_logs')!;
const GATEWAY_FILES = new Map<string, {category: CategoryId; spec: GatewayFileSpec}>();
for (const category of CATEGORIES) for (const spec of category.files ?? []) GATEWAY_FILES.set(spec.archivePath, {category: category.id, spec});

export function routeEntry(archivePath: string): EntryRoute {
	if (archivePath === METADATA_PATH) return {kind: 'metadata'};
	if (archivePath === MANIFEST_PATH) return {kind: 'manifest'};
	if (archivePath === TWO_FACTOR_BLOCK_PATH) return {kind: 'two-factor', category: 'users'};
	const table = TABLE_BY_PATH.get(archivePath);
	if (table) return {kind: 'table', category: table.category, table};
	if (archivePath.startsWith(DAILY_LOG_DIR) && archivePath.endsWith('.jsonl') && !archivePath.slice(DAILY_LOG_DIR.length).includes('/')) {
		return {kind: 'table', category: 'memory', table: DAILY_LOGS};
	}
	const gateway = GATEWAY_FILES.get(archivePath);
	if (gateway) return {kind: 'gateway-file', ...gateway};
	if (archivePath.startsWith('agents/')) {
		const match = /^agents\/([^/]+)\/(.+)$/.exec(archivePath);
		if (!match || !isSafeId(match[1])) return {kind: 'unsafe', reason: 'not agents/<agent id>/<file>, with a valid agent id'};
		if (!isSafeRelativePath(match[2]!)) return {kind: 'unsafe', reason: 'not a valid file path inside an agent folder'};
		return {kind: 'agent-file', category: 'agents', ownerId: match[1]!, rest: match[2]!};
	}
	if (archivePath.startsWith('documents/files/')) {
		const name = archivePath.slice('documents/files/'.length);
		const dot = name.indexOf('.');
		const id = name.slice(0, dot);
		const ext = name.slice(dot + 1);
		if (dot < 0 || !isSafeId(id) || !isSafeExt(ext)) return {kind: 'unsafe', reason: 'not documents/files/<document id>.<ext>, with a valid id and extension'};
		return {kind: 'document-file', category: 'documents', ownerId: id, ext};
	}
	if (archivePath.startsWith('documents/text/')) {
		const match = /^documents\/text\/([^/]+)\.txt$/.exec(archivePath);
		if (!match || !isSafeId(match[1])) return {kind: 'unsafe', reason: 'not documents/text/<document id>.txt, with a valid id'};
		return {kind: 'document-text', category: 'documents', ownerId: match[1]!};
	}
	return {kind: 'unknown'};
}

/** A relative path inside an agent folder: plain segments, no dot segments, backslashes or control characters. */
export function isSafeRelativePath(relative: string): boolean {
	if (relative.length === 0 || relative.length > 1024) return false;
	return relative.split('/').every(segment => segment.length > 0 && segment.length <= 255 && segment !== '.' && segment !== '..' && !/[\\\u0000-\u001f\u007f]/.test(segment));
}

/** Where a file entry lands, relative to the data dir ('/'-separated), after id remapping. */
export function fileTarget(route: FileRoute, mapper: IdMapper): string {
	switch (route.kind) {
		case 'agent-file':
			return `agents/${assertSafeId(mapper.id(route.ownerId), 'agent')}/${route.rest}`;
		case 'document-file':
			return `documents/files/${assertSafeId(mapper.id(route.ownerId), 'document')}.${assertSafeExt(route.ext, 'document')}`;
		case 'document-text':
			return `documents/text/${assertSafeId(mapper.id(route.ownerId), 'document')}.txt`;
		case 'gateway-file':
			return route.spec.path;
	}
}

/**
 * True when a data-dir relative target is one a restore may write or delete: a gateway file named
 * in the schema, agents/<safe id>/<plain path>, documents/files/<safe id>.<safe ext> or
 * documents/text/<safe id>.txt. Every path restore touches is checked against this.
 */
export function isRestorableTarget(target: string): boolean {
	if (gatewayFileSpec(target)) return true;
	let match = /^agents\/([^/]+)\/(.+)$/.exec(target);
	if (match) return isSafeId(match[1]) && isSafeRelativePath(match[2]!);
	match = /^documents\/files\/([^/.]+)\.([^/]+)$/.exec(target);
	if (match) return isSafeId(match[1]) && isSafeExt(match[2]);
	match = /^documents\/text\/([^/.]+)\.txt$/.exec(target);
	if (match) return isSafeId(match[1]);
	return false;
}

/** The agent id of an agents/<id>/… target. */
export function agentOfTarget(target: string): string | undefined {
	return /^agents\/([^/]+)\//.exec(target)?.[1];
}

/**
 * How a file of the data dir is compared and merged: gateway JSON files and agent JSON files
 * (policy redact-json) as JSON with redacted secrets, anything else byte for byte.
 */
export function fileSpecOf(target: string): GatewayFileSpec | undefined {
	const gateway = gatewayFileSpec(target);
	if (gateway) return gateway;
	const agent = /^agents\/[^/]+\/(.+)$/.exec(target);
	if (agent && agentFilePolicy(agent[1]!) === 'redact-json') return {path: target, archivePath: target, kind: 'json'};
	return undefined;
}

/** Category of a data-dir relative target path (for quarantine accept). */
export function categoryOfTarget(target: string): CategoryId | undefined {
	if (target.startsWith('agents/')) return 'agents';
	if (target.startsWith('documents/')) return 'documents';
	for (const [, gateway] of GATEWAY_FILES) if (gateway.spec.path === target) return gateway.category;
	return undefined;
}

export function gatewayFileSpec(target: string): GatewayFileSpec | undefined {
	for (const [, gateway] of GATEWAY_FILES) if (gateway.spec.path === target) return gateway.spec;
	return undefined;
}

/**
 * Absolute path of a target inside the data dir, refusing any existing component that is a
 * symlink or not a directory: a link planted in the data dir must not redirect a restore's
 * writes outside it.
 */
export function safeTarget(root: string, target: string): string {
	const segments = target.split('/');
	if (!isRestorableTarget(target) || segments.some(segment => segment === '' || segment === '.' || segment === '..')) {
		throw new LifeboatError('unsafe-archive', `Unsafe restore target ${target}; nothing was restored`);
	}
	let current = root;
	for (let index = 0; index < segments.length; index++) {
		current = path.join(current, segments[index]!);
		const stats = fs.lstatSync(current, {throwIfNoEntry: false});
		if (!stats) break;
		const last = index === segments.length - 1;
		if (stats.isSymbolicLink() || (!last && !stats.isDirectory()) || (last && !stats.isFile())) {
			throw new LifeboatError('conflict', `${target} in the data directory is a link or not a regular file; refusing to restore over it`);
		}
	}
	return path.join(root, ...segments);
}
