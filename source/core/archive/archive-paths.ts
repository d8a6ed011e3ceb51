/**
 * Where rows and files live inside a backup, and how ids and names become archive paths.
 *
 * A gateway names folders and files after its ids (agents/<id>/, documents/files/<id>.<ext>) and
 * may hold any name its file system accepts there: dots, spaces, backslashes, newlines, accents.
 * Archive paths must stay plain for every reader (no control characters or backslashes, no `.` or
 * `..` segments), so each segment is escaped reversibly: `%`, `/`, `\`, control characters (and,
 * in agent and document ids, `.`) become `%XX`, and a segment that is `.` or `..` has its dots escaped.
 * Plain names (`SOUL.md`, `agt_7f3a`) are unchanged, so older backups read as they always did.
 *
 * Backup (writing paths) and restore and verify (routing entries back) use only these functions:
 * what one side writes, the other accepts; and a decoded name must still be a usable file name
 * (isPathSegment) before restore builds a live path from it.
 */
import crypto from 'node:crypto';
import {CATEGORIES, TABLES, type CategoryId, type GatewayFileSpec, type TableSpec} from '../store/schema.js';
import {documentFileName, documentTextName, isPathSegment, isRelativeFilePath} from '../store/gateway-paths.js';
import {MANIFEST_PATH, METADATA_PATH, TWO_FACTOR_BLOCK_PATH} from './archive-format.js';

export {documentFileName, documentTextName, isPathSegment, isRelativeFilePath} from '../store/gateway-paths.js';

/** Daily logs are split into one JSONL per day under this folder. */
export const DAILY_LOG_DIR = 'memory/daily-logs/';

const hex = (code: number) => `%${code.toString(16).toUpperCase().padStart(2, '0')}`;

/** Escapes one name for an archive path (reversible; see the module comment). */
export function escapeSegment(name: string, options: {dots?: boolean} = {}): string {
	// eslint-disable-next-line no-control-regex
	const pattern = options.dots ? /[%/\\\u0000-\u001f\u007f.]/g : /[%/\\\u0000-\u001f\u007f]/g;
	const escaped = name.replace(pattern, char => hex(char.charCodeAt(0)));
	return escaped === '.' || escaped === '..' ? escaped.replaceAll('.', '%2E') : escaped;
}

/**
 * The name an escaped segment stands for; undefined unless the segment is exactly what
 * escapeSegment writes (one spelling per name, so two entries can never land on one file).
 */
export function unescapeSegment(segment: string, options: {dots?: boolean} = {}): string | undefined {
	const name = segment.replace(/%([0-9A-F]{2})/g, (_match, code: string) => String.fromCharCode(Number.parseInt(code, 16)));
	return escapeSegment(name, options) === segment ? name : undefined;
}

export function agentFileArchivePath(agentId: string, relative: string): string {
	// Dots escaped in the id: an agent named `agents.jsonl` must not be a folder beside that file.
	return `agents/${escapeSegment(agentId, {dots: true})}/${relative.split('/').map(segment => escapeSegment(segment)).join('/')}`;
}

/** Where documents' own files are in an archive (a JSON bundle leaves them out without --include-files). */
export const DOCUMENT_FILES_PREFIX = 'documents/files/';

export function documentFileArchivePath(documentId: string, ext: string): string {
	return `${DOCUMENT_FILES_PREFIX}${escapeSegment(documentId, {dots: true})}.${escapeSegment(ext)}`;
}

export function documentTextArchivePath(documentId: string): string {
	return `documents/text/${escapeSegment(documentId, {dots: true})}.txt`;
}

/**
 * The file a day's logs go to. Rows carry their own `day`, so the name only has to be distinct
 * per day and plain: the escaped day when short, else (or for a day that is not text) a hash.
 */
export function dailyLogArchivePath(day: unknown, dayKey: string): string {
	if (typeof day === 'string' && day.length > 0) {
		const escaped = escapeSegment(day);
		if (Buffer.byteLength(escaped, 'utf8') <= 200 && !escaped.startsWith('~')) return `${DAILY_LOG_DIR}${escaped}.jsonl`;
	}
	return `${DAILY_LOG_DIR}~${crypto.createHash('sha256').update(dayKey).digest('hex').slice(0, 32)}.jsonl`;
}

/** What an archive entry is. */
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
	/** The incremental index (backup-index.ts): compared by the next incremental, checked against the manifest only. */
	| {kind: 'index'}
	| {kind: 'unknown'};

export type FileRoute = Extract<EntryRoute, {kind: 'agent-file' | 'document-file' | 'document-text' | 'gateway-file'}>;

const TABLE_BY_PATH = new Map(TABLES.filter(table => table.name !== 'memory_daily_logs').map(table => [table.archivePath, table]));
const DAILY_LOGS = TABLES.find(table => table.name === 'memory_daily_logs')!;
const GATEWAY_FILES = new Map<string, {category: CategoryId; spec: GatewayFileSpec}>();
for (const category of CATEGORIES) for (const spec of category.files ?? []) GATEWAY_FILES.set(spec.archivePath, {category: category.id, spec});

export function gatewayFiles(): ReadonlyMap<string, {category: CategoryId; spec: GatewayFileSpec}> {
	return GATEWAY_FILES;
}

export function routeEntry(archivePath: string): EntryRoute {
	if (archivePath === METADATA_PATH) return {kind: 'metadata'};
	if (archivePath === MANIFEST_PATH) return {kind: 'manifest'};
	if (archivePath === TWO_FACTOR_BLOCK_PATH) return {kind: 'two-factor', category: 'users'};
	if (archivePath.startsWith('index/') && archivePath.endsWith('.jsonl') && !archivePath.slice('index/'.length).includes('/')) return {kind: 'index'};
	const table = TABLE_BY_PATH.get(archivePath);
	if (table) return {kind: 'table', category: table.category, table};
	if (archivePath.startsWith(DAILY_LOG_DIR) && archivePath.endsWith('.jsonl') && !archivePath.slice(DAILY_LOG_DIR.length).includes('/')) {
		return {kind: 'table', category: 'memory', table: DAILY_LOGS};
	}
	const gateway = GATEWAY_FILES.get(archivePath);
	if (gateway) return {kind: 'gateway-file', ...gateway};
	if (archivePath.startsWith('agents/')) return agentRoute(archivePath);
	if (archivePath.startsWith('documents/files/')) return documentRoute(archivePath.slice('documents/files/'.length));
	if (archivePath.startsWith('documents/text/')) {
		const name = archivePath.slice('documents/text/'.length);
		const id = name.endsWith('.txt') ? unescapeSegment(name.slice(0, -4), {dots: true}) : undefined;
		if (id === undefined || !documentTextName(id)) return {kind: 'unsafe', reason: 'not documents/text/<document id>.txt, with a usable id'};
		return {kind: 'document-text', category: 'documents', ownerId: id};
	}
	return {kind: 'unknown'};
}

function agentRoute(archivePath: string): EntryRoute {
	const [, owner, ...rest] = archivePath.split('/');
	const ownerId = owner === undefined ? undefined : unescapeSegment(owner, {dots: true});
	if (!isPathSegment(ownerId) || rest.length === 0) return {kind: 'unsafe', reason: 'not agents/<agent id>/<file>, with a usable agent id'};
	const names = rest.map(segment => unescapeSegment(segment));
	const relative = names.every(name => name !== undefined) ? names.join('/') : undefined;
	if (relative === undefined || names.length !== rest.length || !isRelativeFilePath(relative)) {
		return {kind: 'unsafe', reason: 'not a usable file path inside an agent folder'};
	}
	return {kind: 'agent-file', category: 'agents', ownerId, rest: relative};
}

function documentRoute(name: string): EntryRoute {
	const dot = name.indexOf('.');
	// An empty id (`.pdf`) or extension (`report.`) is a legal document name.
	const id = dot >= 0 ? unescapeSegment(name.slice(0, dot), {dots: true}) : undefined;
	const ext = dot >= 0 ? unescapeSegment(name.slice(dot + 1)) : undefined;
	if (id === undefined || ext === undefined || !documentFileName(id, ext)) {
		return {kind: 'unsafe', reason: 'not documents/files/<document id>.<ext>, with a usable id and extension'};
	}
	return {kind: 'document-file', category: 'documents', ownerId: id, ext};
}
