import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);

/** The package version, recorded in every backup's metadata. */
export const TOOL_VERSION: string = (require('../../package.json') as {version: string}).version;
