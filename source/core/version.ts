import fs from 'node:fs';
import path from 'node:path';
import {packageRoot} from './package-root.js';

/** The package version, recorded in every backup's metadata. */
export const TOOL_VERSION: string = (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version;
