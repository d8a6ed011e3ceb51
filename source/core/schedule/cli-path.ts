/**
 * The built CLI (dist/cli.js) that scheduled backups run as child processes: beside the build's
 * own modules (dist/core/schedule/ → dist/cli.js), or, when this module runs from the sources
 * (tests), the project's dist/cli.js.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export function lifeboatCliPath(): string {
	const built = path.resolve(here, '..', '..', 'cli.js');
	if (fs.existsSync(built)) return built;
	return path.resolve(here, '..', '..', '..', 'dist', 'cli.js');
}
