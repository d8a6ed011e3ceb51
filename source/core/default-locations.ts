import os from 'node:os';
import path from 'node:path';

/** The demo gateway `npm start` opens when no data dir is configured. */
export function demoHome(env: NodeJS.ProcessEnv = process.env): string {
	return path.resolve(env['LIFEBOAT_DEMO_HOME'] ?? '.lifeboat-demo');
}

/** Where backups go when --dest is not given: LIFEBOAT_BACKUP_DIR, else ~/lifeboat-backups. */
export function defaultBackupDir(env: NodeJS.ProcessEnv = process.env): string {
	return path.resolve(env['LIFEBOAT_BACKUP_DIR'] ?? path.join(os.homedir(), 'lifeboat-backups'));
}
