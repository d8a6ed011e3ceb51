import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {isSecretLeaf, nameSecrecy, stronger, type Secrecy} from '../../source/core/secret-names.js';
import {CATEGORIES, TABLES} from '../../source/core/store/schema.js';

/**
 * Every secret value a gateway holds, read straight from its database and config files (not
 * from what the demo generator says it planted), so a secret the schema forgot still shows up.
 */
export function gatewaySecrets(dataDir: string): string[] {
	const db = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true});
	const secrets = new Set<string>();
	try {
		for (const table of TABLES) {
			for (const column of table.columns) {
				if (!column.secret) continue;
				for (const row of db.prepare(`SELECT ${column.name} AS value FROM ${table.name} WHERE ${column.name} IS NOT NULL`).all() as Array<{value: string}>) {
					secrets.add(String(row.value));
				}
			}
		}
	} finally {
		db.close();
	}
	const walk = (node: unknown, secrecy: Secrecy | undefined) => {
		if (Array.isArray(node)) for (const item of node) walk(item, secrecy);
		else if (node && typeof node === 'object') for (const [key, child] of Object.entries(node)) walk(child, stronger(secrecy, nameSecrecy(key)));
		else if (isSecretLeaf(secrecy, node)) secrets.add(String(node));
	};
	for (const category of CATEGORIES) {
		for (const file of category.files ?? []) {
			const full = path.join(dataDir, file.path);
			if (file.kind === 'json' && fs.existsSync(full)) walk(JSON.parse(fs.readFileSync(full, 'utf8')), undefined);
		}
	}
	// Pieces of a secret (e.g. an AccountKey inside a connection string) must not leak either.
	for (const secret of [...secrets]) {
		for (const part of secret.split(/[;=]/)) if (part.length >= 16) secrets.add(part);
	}
	return [...secrets].filter(secret => secret.length >= 8);
}
