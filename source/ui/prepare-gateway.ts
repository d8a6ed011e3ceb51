import fs from 'node:fs';
import path from 'node:path';
import {defaultBackupDir, demoHome} from '../commands/command-context.js';
import {generateDemo} from '../core/demo/generate-demo.js';
import {ensureDir} from '../core/private-fs.js';

export type GatewayChoice = {dataDir: string; backupDir: string; isDemo: boolean};

/**
 * The gateway the console opens: the configured one, or (first run, nothing configured) a demo
 * gateway created on the spot so a new user sees the product working.
 */
export async function prepareGateway(options: {dataDir?: string; backupDir?: string}): Promise<GatewayChoice> {
	if (options.dataDir) {
		return {dataDir: path.resolve(options.dataDir), backupDir: path.resolve(options.backupDir ?? defaultBackupDir()), isDemo: false};
	}
	const home = demoHome();
	const dataDir = path.join(home, 'gateway');
	const backupDir = path.resolve(options.backupDir ?? path.join(home, 'backups'));
	if (!fs.existsSync(path.join(dataDir, 'data', 'gateway.db'))) {
		process.stdout.write(`No gateway configured (--data-dir / LIFEBOAT_DATA_DIR): creating a demo gateway in ${dataDir}…\n`);
		await generateDemo({dir: dataDir});
	}
	ensureDir(backupDir);
	return {dataDir, backupDir, isDemo: true};
}
