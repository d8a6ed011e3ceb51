import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

let root: string | undefined;

/**
 * This package's folder (the one holding its package.json), found upward from this module: the
 * same whether it runs from the sources (source/core/), tsc's output (dist/core/) or the bundle
 * (dist/cli.js and dist/chunks/, which put this module in whichever file shares it).
 */
export function packageRoot(): string {
	if (root) return root;
	let dir = path.dirname(fileURLToPath(import.meta.url));
	while (!fs.existsSync(path.join(dir, 'package.json'))) {
		const parent = path.dirname(dir);
		if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
		dir = parent;
	}
	root = dir;
	return root;
}
