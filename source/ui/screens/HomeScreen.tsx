import {Box, Text} from 'ink';
import {formatAge, formatBytes, formatCount} from '../../core/format.js';
import {categorySpec, type CategoryId} from '../../core/store/schema.js';
import {Busy} from '../components/Busy.js';
import {BodyRows, Frame} from '../components/Frame.js';
import {KeyValue} from '../components/KeyValue.js';
import {SelectList, type ListItem} from '../components/SelectList.js';
import {errorStatus} from '../components/StatusLine.js';
import {useConsole} from '../console-context.js';
import {latestBackup, readGatewaySummary} from '../gateway-summary.js';
import {useAsync} from '../hooks/use-async.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {useCommands} from '../keys.js';
import {fit} from '../text-fit.js';

type MenuAction = 'create' | 'browse' | 'restore' | 'quarantine' | 'quit';

/** The gateway at a glance, the last backup, and the menu. */
export function HomeScreen({revision}: {revision: number}) {
	const {gateway, nav} = useConsole();
	const {columns} = useTerminalSize();
	const summary = useAsync(() => readGatewaySummary(gateway.dataDir), [gateway.dataDir, revision]);
	const last = useAsync(() => latestBackup(gateway.backupDir), [gateway.backupDir, revision]);
	useCommands({quit: nav.quit});

	const menu: Array<ListItem<MenuAction>> = [
		{key: 'create', label: 'Create backup', value: 'create'},
		{key: 'browse', label: 'Browse backups', value: 'browse'},
		{key: 'restore', label: 'Restore', value: 'restore'},
		{key: 'quarantine', label: 'Quarantine', value: 'quarantine'},
		{key: 'quit', label: 'Quit', value: 'quit'},
	];
	const onSelect = (item: ListItem<MenuAction>) => {
		const actions: Record<MenuAction, () => void> = {
			create: nav.create,
			browse: () => nav.browse(),
			restore: () => nav.restore(),
			quarantine: nav.quarantine,
			quit: nav.quit,
		};
		actions[item.value]();
	};

	const status = summary.status === 'error' ? errorStatus(summary.error, 'check --data-dir / LIFEBOAT_DATA_DIR, then q to quit') : undefined;
	const twoColumns = columns >= 70;
	const showCounts = columns >= 50;
	const cellWidth = Math.min(34, twoColumns ? Math.floor((columns - 20) / 2) : columns - 20);

	return (
		<Frame title="Home" commands={['up', 'down', 'select', 'quit']} status={status} meanings={{select: 'open the highlighted item'}}>
			<KeyValue label="Gateway">
				{gateway.dataDir}
				{gateway.isDemo ? ' (demo)' : ''}
			</KeyValue>
			<KeyValue label="Tenants">
				{summary.status === 'done'
					? `${summary.value.tenants.length} · ${summary.value.tenants.map(tenant => tenant.slug).join(', ')}`
					: '…'}
			</KeyValue>
			<KeyValue label="Size on disk">{summary.status === 'done' ? formatBytes(summary.value.totalBytes) : '…'}</KeyValue>
			<KeyValue label="Last backup">
				{last.status === 'loading'
					? '…'
					: last.status === 'error'
						? `cannot read ${gateway.backupDir}`
						: last.value
							? `${last.value.summary?.name ?? last.value.fileName} · ${formatAge(last.value.createdAt)}`
							: `none yet in ${gateway.backupDir}`}
			</KeyValue>
			<Box marginTop={1}>
				<Box width={20} flexShrink={0} flexDirection="column">
					<SelectList items={menu} height={menu.length} onSelect={onSelect} />
				</Box>
				{showCounts ? (
					<Box flexDirection="column" flexShrink={1}>
						{summary.status === 'loading' ? <Busy label="Counting…" /> : undefined}
						{summary.status === 'done' ? (
							// The counts take the rows left under the four lines above (at least the menu's).
							<BodyRows reserve={5} min={menu.length}>
								{height => <Counts counts={summary.value.counts} cellWidth={cellWidth} perRow={twoColumns ? 2 : 1} height={height} />}
							</BodyRows>
						) : undefined}
					</Box>
				) : undefined}
			</Box>
		</Frame>
	);
}

/** Entries per category, in one or two columns, cut to `height` rows with a "+N more" line. */
function Counts({counts, cellWidth, perRow, height}: {counts: ReadonlyArray<{category: CategoryId; count: number}>; cellWidth: number; perRow: number; height: number}) {
	const rowsNeeded = Math.ceil(counts.length / perRow);
	const shown = rowsNeeded <= height ? counts : counts.slice(0, Math.max(0, height - 1) * perRow);
	return (
		<Box flexDirection="column">
			<Box flexWrap="wrap" width={cellWidth * perRow}>
				{shown.map(count => (
					<Box key={count.category} width={cellWidth} height={1}>
						<Text wrap="truncate">
							<Text dimColor>{fit(categorySpec(count.category).label, cellWidth - 10)}</Text>
							{fit(formatCount(count.count), 8, 'right')}
						</Text>
					</Box>
				))}
			</Box>
			{shown.length < counts.length ? (
				<Text dimColor wrap="truncate">
					+{counts.length - shown.length} more categories: enlarge the terminal
				</Text>
			) : undefined}
		</Box>
	);
}
