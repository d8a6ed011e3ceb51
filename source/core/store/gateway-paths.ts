import path from 'node:path';

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

export function agentDir(paths: GatewayPaths, agentId: string): string {
	return path.join(paths.agents, agentId);
}

export function documentFile(paths: GatewayPaths, documentId: string, ext: string): string {
	return path.join(paths.documentFiles, `${documentId}.${ext}`);
}

export function documentTextFile(paths: GatewayPaths, documentId: string): string {
	return path.join(paths.documentText, `${documentId}.txt`);
}
