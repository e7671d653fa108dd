// Messages dragged from the list onto a folder of the rail: what the drag carries.

/** The drag data type of a list drag (never offered to other applications as a file). */
export const MESSAGES_DRAG_TYPE = 'application/x-relais-messages';

export interface DraggedMessages {
  box: string;
  ids: number[];
}

/** The messages a drop carries, or null when the drop is something else. */
export function draggedMessages(data: DataTransfer | null): DraggedMessages | null {
  const raw = data?.getData(MESSAGES_DRAG_TYPE);
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (
      parsed &&
      typeof parsed === 'object' &&
      'box' in parsed &&
      'ids' in parsed &&
      typeof parsed.box === 'string' &&
      Array.isArray(parsed.ids) &&
      parsed.ids.every((id) => typeof id === 'number')
    ) {
      return { box: parsed.box, ids: parsed.ids as number[] };
    }
  } catch (error) {
    console.warn('Relais: unreadable drag data', error);
  }
  return null;
}

/** Whether a drag over a folder carries messages (its data is readable only on drop). */
export function carriesMessages(data: DataTransfer | null): boolean {
  return data?.types.includes(MESSAGES_DRAG_TYPE) ?? false;
}
