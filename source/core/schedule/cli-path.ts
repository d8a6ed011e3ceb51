/**
 * The built CLI (dist/cli.js, the package's "bin") that scheduled backups run as child processes:
 * in the package's own folder, whether this module runs from the bundle, from tsc's output or
 * from the sources (tests).
 */
import path from 'node:path';
import {packageRoot} from '../package-root.js';

export function lifeboatCliPath(): string {
	return path.join(packageRoot(), 'dist', 'cli.js');
}
