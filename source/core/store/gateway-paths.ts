import path from 'node:path';
import {assertSafeExt, assertSafeId} from './safe-ids.js';

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

// Every id-derived path is checked here, the one place paths are built from ids.
export function agentDir(paths: GatewayPaths, agentId: string): string {
	return path.join(paths.agents, assertSafeId(agentId, 'agent'));
}

export function documentFile(paths: GatewayPaths, documentId: string, ext: string): string {
	return path.join(paths.documentFiles, `${assertSafeId(documentId, 'document')}.${assertSafeExt(ext, 'document')}`);
}

export function documentTextFile(paths: GatewayPaths, documentId: string): string {
	return path.join(paths.documentText, `${assertSafeId(documentId, 'document')}.txt`);
}
