import fs from 'node:fs';

/**
 * Loaded with `node --import` by the benchmark: writes this process's peak RSS (KiB) to
 * LIFEBOAT_RSS_FILE on exit, so the figure is exact rather than sampled.
 */
const file = process.env['LIFEBOAT_RSS_FILE'];
if (file) {
	process.on('exit', () => {
		fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
	});
}
