import fs from 'node:fs';

/** CPU the machine spent outside the bench while it ran, as a share of all its cores' time. */
export type OtherWork = {share: number};

type Ticks = {busy: number; total: number; own: number};

/** Clock ticks from /proc (Linux): the machine's busy and total CPU, and this process's plus its waited-for children's. */
function readTicks(): Ticks | undefined {
	try {
		const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
		// user nice system idle iowait irq softirq steal (guest time is already counted in user).
		const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
		const busy = user + nice + system + irq + softirq + steal;
		const self = fs.readFileSync('/proc/self/stat', 'utf8');
		// Fields after the command name (which may hold spaces) in parentheses: utime is the 14th field.
		const fields = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
		const own = fields[11]! + fields[12]! + fields[13]! + fields[14]!;
		return {busy, total: busy + idle + iowait, own};
	} catch {
		return undefined;
	}
}

/**
 * Watches the machine's CPU while the bench runs. The load average cannot tell other work from the
 * bench's own runs (which keep up to every core busy); this counts the CPU the machine spent
 * minus what the bench and the runs it waited for spent. A daemon a run starts and leaves (the
 * console benchmark's tmux server) counts as other work. Undefined without /proc.
 */
export function watchOtherWork(): () => OtherWork | undefined {
	const start = readTicks();
	return () => {
		const end = readTicks();
		if (!start || !end || end.total <= start.total) return undefined;
		const other = Math.max(0, end.busy - start.busy - (end.own - start.own));
		return {share: other / (end.total - start.total)};
	};
}
