import path from 'node:path';
import {LifeboatError} from '../errors.js';
import {CATEGORIES, type GatewayFileSpec} from './schema.js';

/** Where each part of a gateway lives inside its data directory. */
export type GatewayPaths = {
	readonly root: string;
	readonly database: string;
	readonly agents: string;
	readonly documentFiles: string;
	readonly documentText: string;
	readonly quarantine: string;
	/** Key that seals 2FA secrets in unencrypted backups; never itself backed up. */
	readonly backupKey: string;
};

export function gatewayPaths(dataDir: string): GatewayPaths {
	const root = path.resolve(dataDir);
	return {
		root,
		database: path.join(root, 'data', 'gateway.db'),
		agents: path.join(root, 'agents'),
		documentFiles: path.join(root, 'documents', 'files'),
		documentText: path.join(root, 'documents', 'text'),
		quarantine: path.join(root, 'quarantine'),
		backupKey: path.join(root, 'keys', 'backup.key'),
	};
}

/** Longest relative path of a file inside an agent folder (Linux PATH_MAX). */
export const MAX_AGENT_PATH_BYTES = 4096;

/** Longest name of one file or folder (bytes), as on common Linux file systems. */
export const MAX_SEGMENT_BYTES = 255;

/** A name usable as one file or folder name: not empty, `.` or `..`, no `/` or NUL, at most 255 bytes. */
export function isPathSegment(name: unknown): name is string {
	return (
		typeof name === 'string' &&
		name.length > 0 &&
		name !== '.' &&
		name !== '..' &&
		!name.includes('/') &&
		!name.includes('\u0000') &&
		Buffer.byteLength(name, 'utf8') <= MAX_SEGMENT_BYTES
	);
}

/** A relative path of plain segments ('/'-separated), each a usable name, within PATH_MAX. */
export function isRelativeFilePath(relative: string): boolean {
	return relative.length > 0 && Buffer.byteLength(relative, 'utf8') <= MAX_AGENT_PATH_BYTES && relative.split('/').every(segment => isPathSegment(segment));
}

/** The live file name of a document (documents/files/<id>.<ext>), if the gateway can have one. */
export function documentFileName(documentId: unknown, ext: unknown): string | undefined {
	if (typeof documentId !== 'string' || typeof ext !== 'string') return undefined;
	const name = `${documentId}.${ext}`;
	return isPathSegment(name) ? name : undefined;
}

/** The live file name of a document's extracted text (documents/text/<id>.txt). */
export function documentTextName(documentId: unknown): string | undefined {
	if (typeof documentId !== 'string') return undefined;
	const name = `${documentId}.txt`;
	return isPathSegment(name) ? name : undefined;
}

function usable(name: string | undefined, what: string): string {
	if (!isPathSegment(name)) throw new LifeboatError('usage', `${what} ${JSON.stringify(String(name)).slice(0, 80)} cannot name a file or folder`);
	return name;
}

// Every id-derived path is checked here: ids can be any text, but only a usable name becomes a path.
export function agentDir(paths: GatewayPaths, agentId: string): string {
	return path.join(paths.agents, usable(agentId, 'agent'));
}

export function documentFile(paths: GatewayPaths, documentId: string, ext: string): string {
	return path.join(paths.documentFiles, usable(documentFileName(documentId, ext), 'document'));
}

export function documentTextFile(paths: GatewayPaths, documentId: string): string {
	return path.join(paths.documentText, usable(documentTextName(documentId), 'document'));
}

/** The gateway-level file (config, MCP, license) at this data-dir relative path, if it is one. */
export function gatewayFileSpec(target: string): GatewayFileSpec | undefined {
	for (const category of CATEGORIES) for (const spec of category.files ?? []) if (spec.path === target) return spec;
	return undefined;
}

/**
 * True when a data-dir relative target is one a restore may write or delete: a gateway file named
 * in the schema, agents/<name>/<relative path>, documents/files/<name> or documents/text/<name>.txt,
 * every name a usable file name (isPathSegment). Every path restore touches is checked against this.
 */
export function isRestorableTarget(target: string): boolean {
	if (gatewayFileSpec(target)) return true;
	const [top, kind, ...rest] = target.split('/');
	if (top === 'agents') return isPathSegment(kind) && isRelativeFilePath(rest.join('/')) && rest.length > 0;
	if (top !== 'documents' || rest.length !== 1 || !isPathSegment(rest[0])) return false;
	return kind === 'files' || (kind === 'text' && rest[0]!.endsWith('.txt'));
}

