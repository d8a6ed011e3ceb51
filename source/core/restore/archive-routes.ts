import fs from 'node:fs';
import path from 'node:path';
import {MANIFEST_PATH, METADATA_PATH, TWO_FACTOR_BLOCK_PATH} from '../archive/archive-format.js';
import {DAILY_LOG_DIR} from '../backup/dump-tables.js';
import {LifeboatError} from '../errors.js';
import {CATEGORIES, TABLES, type CategoryId, type GatewayFileSpec, type TableSpec} from '../store/schema.js';
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
	let match = /^agents\/([^/]+)\/(.+)$/.exec(archivePath);
	if (match) return {kind: 'agent-file', category: 'agents', ownerId: match[1]!, rest: match[2]!};
	match = /^documents\/files\/([^/.]+)\.([^/]+)$/.exec(archivePath);
	if (match) return {kind: 'document-file', category: 'documents', ownerId: match[1]!, ext: match[2]!};
	match = /^documents\/text\/([^/.]+)\.txt$/.exec(archivePath);
	if (match) return {kind: 'document-text', category: 'documents', ownerId: match[1]!};
	return {kind: 'unknown'};
}

/** Where a file entry lands, relative to the data dir ('/'-separated), after id remapping. */
export function fileTarget(route: FileRoute, mapper: IdMapper): string {
	switch (route.kind) {
		case 'agent-file':
			return `agents/${mapper.id(route.ownerId)}/${route.rest}`;
		case 'document-file':
			return `documents/files/${mapper.id(route.ownerId)}.${route.ext}`;
		case 'document-text':
			return `documents/text/${mapper.id(route.ownerId)}.txt`;
		case 'gateway-file':
			return route.spec.path;
	}
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
	if (segments.some(segment => segment === '' || segment === '.' || segment === '..')) {
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
