import {useMemo} from 'react';
import {freeSpaceText} from '../destination-access.js';
import {choiceProblem, type DestinationChoice} from '../state/destinations.js';
import {SelectList, type ListItem} from './SelectList.js';

/**
 * The destinations to pick from (create wizard, Browse's switcher): the backup folder with its
 * free space, each named destination with its URL, and "Another path or URL…". A choice that
 * cannot take a `format` backup (a folder backup to a remote one) is shown, disabled, with why.
 */
export function DestinationList({
	choices,
	height,
	format,
	initialKey,
	isActive = true,
	onSelect,
	onHighlight,
}: {
	choices: readonly DestinationChoice[];
	height: number;
	format?: string;
	initialKey?: string | undefined;
	isActive?: boolean;
	onSelect: (choice: DestinationChoice) => void;
	onHighlight?: (choice: DestinationChoice) => void;
}) {
	const items = useMemo(() => choices.map(choice => destinationItem(choice, format)), [choices, format]);
	const initialIndex = Math.max(0, choices.findIndex(choice => choice.key === initialKey));
	return (
		<SelectList
			items={items}
			height={height}
			isActive={isActive}
			initialIndex={initialIndex}
			onSelect={item => onSelect(item.value)}
			onHighlight={item => onHighlight?.(item.value)}
		/>
	);
}

function destinationItem(choice: DestinationChoice, format: string | undefined): ListItem<DestinationChoice> {
	if (choice.other) return {key: choice.key, label: 'Another path or URL…', value: choice, hint: 'a folder, s3://…, azblob://…, sftp://…'};
	const problem = format === undefined ? choice.problem : choiceProblem(choice, format);
	const free = choice.remote ? undefined : freeSpaceText(choice.where);
	// A named row is labelled by its name, so its hint says where it points; the folder row is its path.
	const parts = choice.remote ? [choice.url] : [choice.name ? choice.url : undefined, 'local', free];
	const hint = parts.filter(Boolean).join(' · ');
	return {key: choice.key, label: choice.name ?? choice.url, value: choice, hint: problem ? `${hint} · ${problem}` : hint, disabled: problem !== undefined};
}
